// The restore against the project's Kubernetes test API server
// (tests/support/kube): a seeded cluster is dumped, cleaned and laid out as a
// resources snapshot would be, then restored into other servers.
//
// CAIRN_RESTORE_OBJECTS=3000 seeds a larger cluster (the figure printed is
// the restore's objects/s).
#include "agent/resources/restore_applier.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "agent/resource_restore.h"
#include "agent/resources/resource_cleaner.h"
#include "agent/resources/resource_layout.h"
#include "tests/agent/kube/kube_test_apiserver.h"
#include "tests/support/temp_dir.h"

namespace cairn::kube {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

int SeedObjects() {
  const char* env = std::getenv("CAIRN_RESTORE_OBJECTS");
  return env != nullptr && std::atoi(env) > 0 ? std::atoi(env) : 600;
}

std::string Shell(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  int rc = ::pclose(pipe);
  INFO(command);
  REQUIRE(rc == 0);
  return out;
}

fs::path SupportDir() { return test::KubeTestApiServerScript().parent_path(); }

void Seed(const fs::path& dir, int objects, int namespaces) {
  fs::create_directories(dir);
  Shell("timeout 120 python3 " + (SupportDir() / "seed_cluster.py").string() + " --out " +
        dir.string() + " --objects " + std::to_string(objects) + " --namespaces " +
        std::to_string(namespaces) + " > /dev/null");
}

std::unique_ptr<KubeClient> Connect(const test::KubeTestApiServer& server) {
  auto config = LoadKubeconfig(server.kubeconfig(), "token");
  REQUIRE(config.ok());
  KubeClientOptions options;
  options.config = std::move(*config);
  options.qps = 100000;  // measure the restore, not the client's rate limit
  options.burst = 100000;
  auto client = KubeClient::Create(std::move(options));
  REQUIRE(client.ok());
  return std::move(*client);
}

json Dump(KubeClient& client) {
  Result<json> dump = client.Get("/_test/dump");
  REQUIRE(dump.ok());
  return (*dump)["items"];
}

bool Transient(const json& o) { return o["kind"] == "Event"; }

// What a backup of `items` holds: cleaned objects in the layout, and the index.
void WriteSnapshot(const json& items, const DiscoveryResult& discovery, const fs::path& dir) {
  std::map<std::string, IndexedResource> resources;
  ResourceIndex index;
  for (const json& item : items) {
    if (Transient(item)) continue;
    std::string api_version = item["apiVersion"];
    std::string kind = item["kind"];
    const ApiResource* r = discovery.FindKind(api_version, kind);
    REQUIRE(r != nullptr);
    ObjectFile f{r->group, r->resource, r->namespaced ? item["metadata"].value("namespace", "") : "",
                 item["metadata"]["name"]};
    Result<std::string> path = ObjectFilePath(f);
    REQUIRE(path.ok());
    fs::create_directories((dir / *path).parent_path());
    std::ofstream(dir / *path) << CleanResource(item).dump() << "\n";
    IndexedResource& ir = resources[r->group + "/" + r->resource];
    ir = IndexedResource{r->group, r->version, r->resource, r->kind, r->namespaced, ir.objects + 1, 0};
    ++index.objects;
  }
  for (auto& [key, r] : resources) index.resources.push_back(r);
  std::ofstream(dir / "index.json") << index.ToJson().dump();
}

std::string Normalized(const json& items, const fs::path& file) {
  std::ofstream(file) << json{{"kind", "List"}, {"apiVersion", "v1"}, {"items", items}}.dump();
  return Shell("python3 " + (SupportDir() / "normalize.py").string() + " --exclude-kinds Event " +
               file.string());
}

std::string Key(const json& o) {
  return o["apiVersion"].get<std::string>() + " " + o["kind"].get<std::string>() + " " +
         o["metadata"].value("namespace", "") + "/" + o["metadata"]["name"].get<std::string>();
}

std::map<std::string, json> ByKey(const json& items) {
  std::map<std::string, json> out;
  for (const json& o : items) out[Key(o)] = o;
  return out;
}

ResourceRestoreResult Restore(KubeClient* client, const fs::path& snapshot,
                              const ResourceRestoreOptions& options) {
  ResourceSetSource source;
  source.from_dir = snapshot.string();
  Result<ResourceRestoreResult> r = RunResourceRestore(client, source, options, nullptr);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  for (const ObjectOutcome& o : r->outcomes) {
    if (o.action == ObjectAction::kFailed) UNSCOPED_INFO("failed " << o.what << ": " << o.message);
  }
  return std::move(*r);
}

struct Fixture {
  TempDir dir{"restore-applier"};
  std::unique_ptr<test::KubeTestApiServer> source;
  std::unique_ptr<KubeClient> source_client;
  fs::path snapshot;
  json source_items;

  // A seeded server and a snapshot of it; false when the server cannot run.
  bool Start(int objects, int namespaces) {
    if (std::string missing = test::KubeTestApiServerMissing(); !missing.empty()) {
      WARN("SKIPPED: needs python3 and tests/support/kube: " << missing);
      return false;
    }
    Seed(dir.path() / "seed", objects, namespaces);
    fs::create_directories(dir.path() / "a");
    source = std::make_unique<test::KubeTestApiServer>(dir.path() / "a", dir.path() / "seed");
    source_client = Connect(*source);
    source_items = Dump(*source_client);
    Result<DiscoveryResult> discovery = Discover(*source_client);
    REQUIRE(discovery.ok());
    snapshot = dir.path() / "snapshot";
    WriteSnapshot(source_items, *discovery, snapshot);
    return true;
  }

  std::unique_ptr<test::KubeTestApiServer> Target(const std::string& name, bool seeded) {
    fs::create_directories(dir.path() / name / "empty");
    return std::make_unique<test::KubeTestApiServer>(
        dir.path() / name, seeded ? dir.path() / "seed" : dir.path() / name / "empty");
  }
};

TEST_CASE("Resource restore into an empty API server: owners fixed up, CRDs first, "
          "normalised clusters identical, reruns skip or update",
          "[integration]") {
  Fixture f;
  if (!f.Start(SeedObjects(), 4)) return;
  auto target = f.Target("b", false);
  auto client = Connect(*target);

  // Pods alone: their ReplicaSets are neither restored nor present.
  ResourceRestoreOptions pods_only;
  pods_only.plan.selection.include_resources = {"pods"};
  pods_only.plan.selection.include_namespaces = {"shop"};
  ResourceRestoreResult partial = Restore(client.get(), f.snapshot, pods_only);
  CHECK(partial.failed == 0);
  REQUIRE(partial.created > 1);
  bool dropped = false;
  for (const std::string& w : partial.warnings) {
    dropped = dropped || w.find("reference dropped") != std::string::npos;
  }
  CHECK(dropped);
  for (const json& o : Dump(*client)) {
    if (o["kind"] == "Pod") CHECK_FALSE(o["metadata"].contains("ownerReferences"));
  }

  // Everything, replacing those pods so their owners are referenced again.
  ResourceRestoreOptions full;
  full.existing = ExistingPolicy::kUpdate;
  ResourceRestoreResult r = Restore(client.get(), f.snapshot, full);
  CHECK(r.failed == 0);
  CHECK(r.updated >= partial.created);
  std::printf("restore of %llu objects into an empty kube-test-apiserver: %.2f s, %.0f objects/s\n",
              static_cast<unsigned long long>(r.objects), r.seconds, r.objects_per_second());
  json restored = Dump(*client);
  CHECK(Normalized(restored, f.dir.path() / "b.json") ==
        Normalized(f.source_items, f.dir.path() / "a.json"));

  // Owner references carry the owners' new uids.
  std::map<std::string, std::string> uids;
  for (const json& o : restored) {
    uids[o["kind"].get<std::string>() + " " + o["metadata"].value("namespace", "") + "/" +
         o["metadata"]["name"].get<std::string>()] = o["metadata"]["uid"];
  }
  std::set<std::string> source_uids;
  for (const json& o : f.source_items) source_uids.insert(o["metadata"]["uid"].get<std::string>());
  int owned = 0;
  for (const json& o : restored) {
    if (!o["metadata"].contains("ownerReferences")) continue;
    for (const json& ref : o["metadata"]["ownerReferences"]) {
      std::string owner = ref["kind"].get<std::string>() + " " +
                          o["metadata"].value("namespace", "") + "/" + ref["name"].get<std::string>();
      INFO(Key(o) << " -> " << owner);
      REQUIRE(uids.count(owner) == 1);
      CHECK(ref["uid"] == uids[owner]);
      CHECK(source_uids.count(ref["uid"].get<std::string>()) == 0);
      ++owned;
    }
  }
  CHECK(owned > 10);

  // Again with --existing skip: everything exists, nothing changes.
  ResourceRestoreResult again = Restore(client.get(), f.snapshot, ResourceRestoreOptions{});
  CHECK(again.created == 0);
  CHECK(again.failed == 0);
  CHECK(again.skipped == again.objects);
  // A dry run with update: changes nothing, plans an update for each.
  ResourceRestoreOptions dry;
  dry.dry_run = true;
  dry.existing = ExistingPolicy::kUpdate;
  ResourceRestoreResult planned = Restore(client.get(), f.snapshot, dry);
  CHECK(planned.updated == planned.objects);
  CHECK(Dump(*client) == restored);  // resourceVersions included

  // --to-dir needs no server: a file per object, owner references removed.
  ResourceRestoreOptions to_dir;
  to_dir.to_dir = (f.dir.path() / "yaml").string();
  ResourceRestoreResult written = Restore(nullptr, f.snapshot, to_dir);
  CHECK(written.files_written == written.objects);
  CHECK(fs::exists(f.dir.path() / "yaml/README.txt"));
  CHECK(fs::is_directory(f.dir.path() / "yaml/00-customresourcedefinitions.apiextensions.k8s.io"));
  std::ostringstream any_pod;
  for (const auto& e : fs::recursive_directory_iterator(f.dir.path() / "yaml")) {
    if (e.path().string().find("-pods/") != std::string::npos && e.is_regular_file()) {
      any_pod << std::ifstream(e.path()).rdbuf();
      break;
    }
  }
  CHECK(any_pod.str().find("\"kind\": \"Pod\"") != std::string::npos);
  CHECK(any_pod.str().find("ownerReferences") == std::string::npos);
}

// Objects of `after` that are not byte-identical in `before`.
std::vector<json> Changed(const json& before, const json& after) {
  std::map<std::string, json> old = ByKey(before);
  std::vector<json> out;
  for (const json& o : after) {
    auto it = old.find(Key(o));
    if (it == old.end() || it->second != o) out.push_back(o);
  }
  return out;
}

TEST_CASE("Resource restore of one app and of one namespace with namespace and storage-class "
          "mapping touches nothing else",
          "[integration]") {
  Fixture f;
  if (!f.Start(600, 4)) return;
  auto target = f.Target("c", true);  // the same cluster, restored beside itself
  auto client = Connect(*target);
  json before = Dump(*client);

  // The app owning the "fast" PVC in shop.
  std::string app;
  for (const json& o : f.source_items) {
    if (o["kind"] == "PersistentVolumeClaim" && o["metadata"]["namespace"] == "shop" &&
        o["spec"].value("storageClassName", "") == "fast") {
      app = o["metadata"]["labels"]["app.kubernetes.io/name"];
    }
  }
  REQUIRE_FALSE(app.empty());
  ResourceRestoreOptions one_app;
  one_app.plan.selection.app = app;
  one_app.plan.selection.include_namespaces = {"shop"};
  one_app.plan.transforms.namespace_mapping = {{"shop", "shop-copy"}};
  one_app.plan.transforms.storage_class_mapping = {{"fast", "ssd"}};
  ResourceRestoreResult r = Restore(client.get(), f.snapshot, one_app);
  CHECK(r.failed == 0);
  json after = Dump(*client);
  std::vector<json> changed = Changed(before, after);
  CHECK(changed.size() == r.created);
  // Only the bound PersistentVolumes and the app's CRDs exist already.
  CHECK(r.skipped >= 1);
  for (const ObjectOutcome& o : r.outcomes) {
    if (o.action == ObjectAction::kSkipped) {
      CHECK((o.what.find("v1 PersistentVolume ") == 0 ||
             o.what.find(" CustomResourceDefinition ") != std::string::npos));
    }
  }
  bool pvc_seen = false;
  for (const json& o : changed) {
    INFO(Key(o));
    if (o["kind"] == "Namespace") {
      CHECK(o["metadata"]["name"] == "shop-copy");
      continue;
    }
    CHECK(o["metadata"]["namespace"] == "shop-copy");
    CHECK(o["metadata"]["labels"]["app.kubernetes.io/name"] == app);
    if (o["kind"] == "PersistentVolumeClaim") {
      pvc_seen = true;
      CHECK(o["spec"]["storageClassName"] == "ssd");
    }
  }
  CHECK(pvc_seen);
  CHECK(after.size() == before.size() + changed.size());  // nothing replaced

  // One namespace, mapped: RoleBinding subjects follow.
  before = after;
  ResourceRestoreOptions one_ns;
  one_ns.plan.selection.include_namespaces = {"auth"};
  one_ns.plan.transforms.namespace_mapping = {{"auth", "auth-dr"}};
  ResourceRestoreResult n = Restore(client.get(), f.snapshot, one_ns);
  CHECK(n.failed == 0);
  after = Dump(*client);
  changed = Changed(before, after);
  CHECK(changed.size() == n.created);
  CHECK(after.size() == before.size() + changed.size());
  int bindings = 0;
  for (const json& o : changed) {
    INFO(Key(o));
    CHECK((o["kind"] == "Namespace" ? o["metadata"]["name"] : o["metadata"]["namespace"]) == "auth-dr");
    if (o["kind"] == "RoleBinding") {
      for (const json& s : o["subjects"]) {
        if (s.contains("namespace")) CHECK(s["namespace"] == "auth-dr");
      }
      ++bindings;
    }
  }
  CHECK(bindings > 0);
}

TEST_CASE("Resource restore: a custom resource waits for its CRD; a kind the target lacks fails "
          "with a message naming its CRD",
          "[integration]") {
  Fixture f;
  if (!f.Start(600, 4)) return;
  auto target = f.Target("d", false);
  auto client = Connect(*target);
  // Widgets without their CRD (kept out explicitly: a filtered restore would
  // otherwise bring it): each fails, nothing else does.
  ResourceRestoreOptions widgets;
  widgets.plan.selection.include_resources = {"widgets.example.com"};
  widgets.plan.selection.include_namespaces = {"shop"};
  widgets.plan.selection.exclude_resources = {"customresourcedefinitions.apiextensions.k8s.io"};
  ResourceRestoreResult r = Restore(client.get(), f.snapshot, widgets);
  REQUIRE(r.failed > 0);
  for (const ObjectOutcome& o : r.outcomes) {
    if (o.what.find("Widget") == std::string::npos) continue;
    CHECK(o.action == ObjectAction::kFailed);
    CHECK(o.message == "no resource for kind Widget in group \"example.com\" on the target: "
                       "restore its CRD first");
  }
  // With the CRD: created first, then the widgets once it is served.
  widgets.plan.selection.exclude_resources.clear();
  ResourceRestoreResult ok = Restore(client.get(), f.snapshot, widgets);
  CHECK(ok.failed == 0);
  REQUIRE_FALSE(ok.outcomes.empty());
  CHECK(ok.outcomes.front().what.find("CustomResourceDefinition") != std::string::npos);
  int widgets_created = 0;
  for (const ObjectOutcome& o : ok.outcomes) {
    if (o.what.find(" Widget shop/") != std::string::npos && o.action == ObjectAction::kCreated) {
      ++widgets_created;
    }
  }
  CHECK(widgets_created == static_cast<int>(r.failed));
}

}  // namespace
}  // namespace cairn::kube
