// ResourceSource against the canned cluster over TLS: the emitted entries
// are exactly the layout (directories first, 0700; object files 0600; the
// index last with its counts), a forbidden type is a skipped type and a
// warning while the rest is backed up, a type failing with 500 fails the
// source with the type named, a namespace filter lists per namespace, and
// object files are byte-identical across two runs of a changing cluster.
// Then a seeded cluster of ~3000 objects from the project's test API server
// (tests/support/kube), checked object by object against the server's own
// dump normalised by normalize.py (which strips the same runtime fields).
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

#include "agent/resources/resource_source.h"
#include "tests/agent/kube/kube_test_apiserver.h"
#include "tests/agent/resources/canned_cluster.h"
#include "tests/support/temp_dir.h"

namespace cairn::kube {
namespace {

struct Emitted {
  std::string path;
  EntryType type;
  std::uint32_t mode;
  std::string content;
};

// Every entry the source gives, contents read; the error if it failed.
Result<std::vector<Emitted>> Drain(ResourceSource& source) {
  std::vector<Emitted> out;
  for (int i = 0; i < 100000; ++i) {
    auto next = source.Next();
    if (!next.ok()) return next.error();
    if (!*next) return out;
    const TreeEntry& e = **next;
    Emitted em{e.path, e.type, e.mode, ""};
    if (e.type == EntryType::kFile) {
      auto stream = source.OpenContent(e);
      if (!stream.ok()) return stream.error();
      std::uint8_t buf[7];  // small: several reads per file
      while (true) {
        auto n = (*stream)->Read(MutableByteSpan(buf, sizeof(buf)));
        if (!n.ok()) return n.error();
        if (*n == 0) break;
        em.content.append(reinterpret_cast<const char*>(buf), *n);
      }
      CHECK(em.content.size() == e.size);
    }
    out.push_back(std::move(em));
  }
  FAIL("the source never ended");
  return out;
}

std::unique_ptr<ResourceSource> Open(KubeClient& client, const ResourceFilter& filter,
                                     int page_size = 2,
                                     std::chrono::system_clock::time_point at =
                                         std::chrono::system_clock::now()) {
  ResourceSourceOptions options;
  options.cluster = "edge-1";
  options.taken_at = at;
  options.collector.page_size = page_size;
  auto source = ResourceSource::Create(client, filter, std::move(options));
  INFO(source.status().ToString());
  REQUIRE(source.ok());
  return std::move(*source);
}

ResourceFilter Filter(ResourceFilterOptions options = {}) {
  auto f = ResourceFilter::Create(options);
  REQUIRE(f.ok());
  return std::move(*f);
}

std::vector<std::string> Files(const std::vector<Emitted>& entries) {
  std::vector<std::string> out;
  for (const Emitted& e : entries) {
    if (e.type == EntryType::kFile) out.push_back(e.path);
  }
  return out;
}

// Every directory comes before what is in it, each exactly once, and the
// directories are exactly the parents of the files (and ".").
void CheckDirectories(const std::vector<Emitted>& entries) {
  std::set<std::string> seen{"."};
  std::set<std::string> needed{"."};
  REQUIRE_FALSE(entries.empty());
  CHECK(entries[0].path == ".");
  for (std::size_t i = 1; i < entries.size(); ++i) {
    const Emitted& e = entries[i];
    INFO(e.path);
    std::size_t slash = e.path.rfind('/');
    CHECK(seen.contains(slash == std::string::npos ? "." : e.path.substr(0, slash)));
    if (e.type == EntryType::kDirectory) {
      CHECK(e.mode == 0700);
      CHECK(seen.insert(e.path).second);
    } else {
      CHECK(e.type == EntryType::kFile);
      CHECK(e.mode == 0600);
      for (std::size_t s = e.path.find('/'); s != std::string::npos; s = e.path.find('/', s + 1)) {
        needed.insert(e.path.substr(0, s));
      }
    }
  }
  CHECK(seen == needed);
}

std::map<std::string, std::string> Contents(const std::vector<Emitted>& entries) {
  std::map<std::string, std::string> out;
  for (const Emitted& e : entries) {
    if (e.type == EntryType::kFile && e.path != "index.json") out[e.path] = e.content;
  }
  return out;
}

const SkippedResource* FindSkipped(const ResourceIndex& index, const std::string& resource,
                                   const std::string& group = "") {
  for (const SkippedResource& s : index.skipped) {
    if (s.resource == resource && s.group == group) return &s;
  }
  return nullptr;
}

TEST_CASE("ResourceSource: a cluster becomes exactly the documented layout, index.json last",
          "[integration]") {
  test::CannedServer canned;
  ResourceFilter filter = Filter();
  auto source = Open(*canned.client, filter);
  CHECK(source->description() == canned.client->config().server);
  CHECK_FALSE(source->supports_files_cache());
  auto entries = Drain(*source);
  INFO(entries.status().ToString());
  REQUIRE(entries.ok());

  const std::vector<std::string> expected = {
      "resources/apps/deployments/namespaces/dev/api.json",
      "resources/apps/deployments/namespaces/prod/web.json",
      "resources/core/configmaps/namespaces/prod/settings.json",
      "resources/core/namespaces/cluster/default.json",
      "resources/core/namespaces/cluster/dev.json",
      "resources/core/namespaces/cluster/prod.json",
      "resources/core/pods/namespaces/default/lonely.json",
      "resources/core/pods/namespaces/dev/api-0.json",
      "resources/core/pods/namespaces/dev/api-1.json",
      "resources/core/pods/namespaces/prod/web-0.json",
      "resources/core/pods/namespaces/prod/web-1.json",
      "resources/core/pods/namespaces/prod/web-2.json",
      "resources/core/pods/namespaces/prod/web-3.json",
      "resources/core/secrets/namespaces/prod/db.json",
      "resources/core/services/namespaces/dev/api.json",
      "resources/core/services/namespaces/prod/web.json",
      "resources/example.com/clusterpolicies/cluster/strict.json",
      "resources/example.com/widgets/namespaces/dev/w2.json",
      "resources/example.com/widgets/namespaces/prod/w1.json",
      "index.json",
  };
  CHECK(Files(*entries) == expected);
  CHECK(entries->back().path == "index.json");
  CheckDirectories(*entries);
  // Pages of two: seven pods took four list requests.
  CHECK(canned.cluster->pages["pods"] == 4);
  CHECK(canned.cluster->pages.count("events") == 0);  // excluded types are never listed

  auto contents = Contents(*entries);
  auto pod = nlohmann::json::parse(contents["resources/core/pods/namespaces/prod/web-0.json"]);
  CHECK(pod["apiVersion"] == "v1");
  CHECK(pod["kind"] == "Pod");
  CHECK(pod["metadata"] == nlohmann::json{{"name", "web-0"}, {"namespace", "prod"},
                                          {"labels", {{"app", "web"}}}});
  CHECK_FALSE(pod.contains("status"));
  CHECK(contents["resources/core/pods/namespaces/prod/web-0.json"] == SerializeObject(pod));
  CHECK(contents["resources/core/pods/namespaces/prod/web-0.json"].back() == '\n');
  auto web = nlohmann::json::parse(contents["resources/core/services/namespaces/prod/web.json"]);
  CHECK_FALSE(web["spec"].contains("clusterIP"));
  CHECK_FALSE(web["spec"].contains("clusterIPs"));
  auto api = nlohmann::json::parse(contents["resources/core/services/namespaces/dev/api.json"]);
  CHECK(api["spec"]["clusterIP"] == "None");
  auto secret = nlohmann::json::parse(contents["resources/core/secrets/namespaces/prod/db.json"]);
  CHECK(secret["data"]["password"] == "c2VjcmV0");  // secrets are backed up as they are

  auto index_json = nlohmann::json::parse(entries->back().content);
  auto index = ResourceIndex::FromJson(index_json);
  REQUIRE(index.ok());
  CHECK(index->cluster == "edge-1");
  CHECK(index->server == canned.client->config().server);
  CHECK(index->taken_at.size() == 20);
  CHECK(index->taken_at.back() == 'Z');
  CHECK(index->objects == expected.size() - 1);
  CHECK(index->filters["cluster_resources"] == "auto");
  std::map<std::string, std::uint64_t> counts;
  std::uint64_t bytes = 0;
  for (const IndexedResource& r : index->resources) {
    counts[r.resource + "." + r.group] = r.objects;
    bytes += r.bytes;
  }
  CHECK(counts == std::map<std::string, std::uint64_t>{{"deployments.apps", 2},
                                                       {"configmaps.", 1},
                                                       {"namespaces.", 3},
                                                       {"pods.", 7},
                                                       {"secrets.", 1},
                                                       {"services.", 2},
                                                       {"clusterpolicies.example.com", 1},
                                                       {"widgets.example.com", 2}});
  std::uint64_t file_bytes = 0;
  for (const auto& [path, text] : contents) file_bytes += text.size();
  CHECK(bytes == file_bytes);
  REQUIRE(FindSkipped(*index, "bindings") != nullptr);
  CHECK_THAT(FindSkipped(*index, "bindings")->reason, Catch::StartsWith("not listable"));
  for (auto [resource, group] : {std::pair{"events", ""}, {"nodes", ""}, {"pods", "metrics.k8s.io"}}) {
    INFO(resource << "." << group);
    REQUIRE(FindSkipped(*index, resource, group) != nullptr);
    CHECK_THAT(FindSkipped(*index, resource, group)->reason, Catch::StartsWith("excluded by default"));
  }
  CHECK(index->warnings.empty());
  CHECK(source->index().objects == index->objects);
  CHECK(source->TakeWarnings().empty());
}

TEST_CASE("ResourceSource: a 403 on one type is a skipped type and a warning, the rest is backed up",
          "[integration]") {
  test::CannedServer canned;
  canned.cluster->forbidden = {"configmaps"};
  ResourceFilter filter = Filter();
  auto source = Open(*canned.client, filter);
  auto entries = Drain(*source);
  INFO(entries.status().ToString());
  REQUIRE(entries.ok());
  auto files = Files(*entries);
  CHECK(files.size() == 19);  // the 20 of the full cluster less the one ConfigMap
  CHECK(std::none_of(files.begin(), files.end(), [](const std::string& p) {
    return p.find("/configmaps/") != std::string::npos;
  }));
  CheckDirectories(*entries);
  auto index = ResourceIndex::FromJson(nlohmann::json::parse(entries->back().content));
  REQUIRE(index.ok());
  const SkippedResource* cm = FindSkipped(*index, "configmaps");
  REQUIRE(cm != nullptr);
  CHECK_THAT(cm->reason, Catch::StartsWith("forbidden: ") &&
                             Catch::Contains("cannot list resource \"configmaps\""));
  REQUIRE(index->warnings.size() == 1);
  CHECK_THAT(index->warnings[0], Catch::StartsWith("configmaps: forbidden"));
  CHECK(source->TakeWarnings() == index->warnings);
  CHECK(source->TakeWarnings().empty());  // taken once
  CHECK(index->objects == 18);
}

TEST_CASE("ResourceSource: a type failing with 500 every time fails the source, naming the type",
          "[integration]") {
  test::CannedServer canned;
  canned.cluster->failing = {"services"};
  ResourceFilter filter = Filter();
  ResourceSourceOptions options;
  options.collector.page_size = 2;
  Status reported;
  options.on_failure = [&reported](const Status& s) { reported = s; };
  bool index_made = false;
  options.on_index = [&index_made](const ResourceIndex&) { index_made = true; };
  auto source = ResourceSource::Create(*canned.client, filter, std::move(options));
  REQUIRE(source.ok());
  auto entries = Drain(**source);
  REQUIRE_FALSE(entries.ok());
  CHECK(entries.error().code() == Status::Code::kUnavailable);
  CHECK_THAT(entries.error().message(), Catch::StartsWith("list services: ") &&
                                            Catch::Contains("etcd is on fire"));
  CHECK_FALSE(reported.ok());
  CHECK_FALSE(index_made);
  CHECK(canned.cluster->pages["services"] == 4);  // the first try and three retries
  CHECK(canned.sleeps.sleeps.size() >= 3);
}

TEST_CASE("ResourceSource: a namespace filter and a selector are what the server is asked",
          "[integration]") {
  test::CannedServer canned;
  ResourceFilter filter = Filter({.include_namespaces = {"prod"}, .selector = "app=web"});
  auto source = Open(*canned.client, filter);
  auto entries = Drain(*source);
  REQUIRE(entries.ok());
  // The canned server does not apply selectors; the namespace it does.
  const std::vector<std::string> expected = {
      "resources/apps/deployments/namespaces/prod/web.json",
      "resources/core/configmaps/namespaces/prod/settings.json",
      "resources/core/namespaces/cluster/prod.json",
      "resources/core/pods/namespaces/prod/web-0.json",
      "resources/core/pods/namespaces/prod/web-1.json",
      "resources/core/pods/namespaces/prod/web-2.json",
      "resources/core/pods/namespaces/prod/web-3.json",
      "resources/core/secrets/namespaces/prod/db.json",
      "resources/core/services/namespaces/prod/web.json",
      "resources/example.com/widgets/namespaces/prod/w1.json",
      "index.json",
  };
  CHECK(Files(*entries) == expected);
  CheckDirectories(*entries);
  CHECK(canned.cluster->selectors["pods"] == "app=web");
  CHECK(canned.cluster->selectors["namespaces"] == "app=web");
  CHECK(canned.cluster->pages["pods"] == 2);  // four prod pods, pages of two, prod only
  auto index = ResourceIndex::FromJson(nlohmann::json::parse(entries->back().content));
  REQUIRE(index.ok());
  REQUIRE(FindSkipped(*index, "clusterpolicies", "example.com") != nullptr);
  CHECK_THAT(FindSkipped(*index, "clusterpolicies", "example.com")->reason,
             Catch::StartsWith("cluster-scoped"));
  CHECK(index->filters["include_namespaces"] == nlohmann::json{"prod"});
  CHECK(index->filters["selector"] == "app=web");
}

TEST_CASE("ResourceSource: object files are byte-identical across backups of an unchanged cluster",
          "[integration]") {
  test::CannedServer canned;
  ResourceFilter filter = Filter();
  auto first = Drain(*Open(*canned.client, filter, 2, std::chrono::system_clock::now()));
  auto second = Drain(*Open(*canned.client, filter, 3,
                            std::chrono::system_clock::now() + std::chrono::hours(1)));
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  // The server handed out new uids and resourceVersions in between.
  CHECK(canned.cluster->counter >= 2 * 19);
  CHECK(Contents(*first) == Contents(*second));
  CHECK(Contents(*first).size() == 19);
  auto a = nlohmann::json::parse(first->back().content);
  auto b = nlohmann::json::parse(second->back().content);
  CHECK(a["taken_at"] != b["taken_at"]);
  a.erase("taken_at");
  b.erase("taken_at");
  CHECK(a == b);
}


// Runs a shell command (paths are our own temporary ones); true on exit 0.
bool Run(const std::string& command) { return std::system(command.c_str()) == 0; }

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_CASE("ResourceSource: a seeded cluster from kube-test-apiserver is backed up object for object",
          "[integration]") {
  if (std::string missing = test::KubeTestApiServerMissing(); !missing.empty()) {
    WARN("SKIPPED: needs python3 and tests/support/kube: " << missing);
    return;
  }
  const std::filesystem::path support = test::KubeTestApiServerScript().parent_path();
  TempDir dir("resources-seeded");
  const std::string python = test::FindPython3()->string();
  REQUIRE(Run(python + " " + (support / "seed_cluster.py").string() + " --out " +
              (dir.path() / "seed").string() + " --objects 3000 > " +
              (dir.path() / "seed.log").string()));
  test::KubeTestApiServer server(dir.path(), dir.path() / "seed");
  auto config = LoadKubeconfig(server.kubeconfig(), "token");
  REQUIRE(config.ok());
  KubeClientOptions options;
  options.config = std::move(*config);
  options.qps = 1e6;
  options.burst = 1000000;
  auto client = KubeClient::Create(std::move(options));
  REQUIRE(client.ok());

  ResourceFilter filter = Filter();
  const auto start = std::chrono::steady_clock::now();
  auto source = Open(**client, filter, 500);
  auto entries = Drain(*source);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO(entries.status().ToString());
  REQUIRE(entries.ok());
  CheckDirectories(*entries);
  REQUIRE(entries->back().path == "index.json");
  auto index = ResourceIndex::FromJson(nlohmann::json::parse(entries->back().content));
  REQUIRE(index.ok());
  CHECK(index->warnings.empty());
  std::fprintf(stderr, "figure resources.collect objects=%llu seconds=%.2f objects_per_s=%.0f\n",
               static_cast<unsigned long long>(index->objects), secs,
               static_cast<double>(index->objects) / secs);

  // The server's own view, normalised independently of the cleaner.
  auto dump = (*client)->Get("/_test/dump");
  REQUIRE(dump.ok());
  {
    std::ofstream out(dir.path() / "dump.json");
    out << dump->dump();
  }
  REQUIRE(Run(python + " " + (support / "normalize.py").string() + " " +
              (dir.path() / "dump.json").string() + " > " + (dir.path() / "normal.json").string()));
  auto normal = nlohmann::json::parse(ReadFile(dir.path() / "normal.json"));
  REQUIRE(normal["items"].is_array());
  const std::set<std::string> transient = {"Event", "Lease", "Node", "Endpoints", "EndpointSlice"};
  // (group, kind, namespace, name) -> object, for what a default backup takes.
  std::map<std::string, nlohmann::json> expected;
  auto key = [](const nlohmann::json& o) {
    std::string api = o.value("apiVersion", "");
    std::string group = api.find('/') == std::string::npos ? "" : api.substr(0, api.find('/'));
    const nlohmann::json meta = o.value("metadata", nlohmann::json::object());
    return group + "|" + o.value("kind", "") + "|" + meta.value("namespace", "") + "|" +
           meta.value("name", "");
  };
  for (const nlohmann::json& o : normal["items"]) {
    if (!transient.contains(o.value("kind", ""))) expected[key(o)] = o;
  }
  std::map<std::string, nlohmann::json> got;
  for (const auto& [path, text] : Contents(*entries)) {
    nlohmann::json o = nlohmann::json::parse(text);
    // normalize.py also drops kubectl's last-applied annotation; the backup keeps it.
    if (o.contains("metadata") && o["metadata"].contains("annotations")) {
      o["metadata"]["annotations"].erase("kubectl.kubernetes.io/last-applied-configuration");
      if (o["metadata"]["annotations"].empty()) o["metadata"].erase("annotations");
    }
    std::string k = key(o);  // before the move: json's operator= takes its argument by value
    got[k] = std::move(o);
  }
  CHECK(index->objects == got.size());
  CHECK(got.size() > 2500);
  std::vector<std::string> missing, extra, different;
  for (const auto& [k, o] : expected) {
    auto it = got.find(k);
    if (it == got.end()) {
      missing.push_back(k);
    } else if (it->second != o) {
      different.push_back(k);
    }
  }
  for (const auto& [k, o] : got) {
    if (!expected.contains(k)) extra.push_back(k);
  }
  auto first = [](const std::vector<std::string>& v) { return v.empty() ? "" : v.front(); };
  INFO("missing " << missing.size() << " " << first(missing) << "; extra " << extra.size() << " "
                  << first(extra) << "; different " << different.size() << " " << first(different));
  if (!different.empty()) {
    INFO("backed up: " << got[different.front()].dump() << "\nserver: " << expected[different.front()].dump());
    CHECK(different.empty());
  }
  CHECK(missing.empty());
  CHECK(extra.empty());
  // Transient kinds were seeded, and skipped with a reason.
  REQUIRE(FindSkipped(*index, "events") != nullptr);
  REQUIRE(FindSkipped(*index, "leases", "coordination.k8s.io") != nullptr);
  REQUIRE(FindSkipped(*index, "selfsubjectaccessreviews", "authorization.k8s.io") != nullptr);
}

}  // namespace
}  // namespace cairn::kube
