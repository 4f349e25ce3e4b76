// The snapshot layout: object paths round trip (core group as "core",
// namespaced and cluster-scoped), unsafe names are refused both ways, and the
// index survives its JSON form while refusing other formats, newer versions
// and mistyped fields.
#include <catch2/catch.hpp>

#include "agent/resources/resource_layout.h"

namespace cairn::kube {
namespace {

TEST_CASE("Resource layout: object paths round trip through ParseObjectFilePath", "[unit]") {
  struct Case {
    ObjectFile object;
    std::string path;
  };
  const std::vector<Case> cases = {
      {{"", "pods", "prod", "web-0"}, "resources/core/pods/namespaces/prod/web-0.json"},
      {{"apps", "deployments", "prod", "web"}, "resources/apps/deployments/namespaces/prod/web.json"},
      {{"", "namespaces", "", "prod"}, "resources/core/namespaces/cluster/prod.json"},
      {{"rbac.authorization.k8s.io", "clusterroles", "", "system:controller:job"},
       "resources/rbac.authorization.k8s.io/clusterroles/cluster/system:controller:job.json"},
      {{"example.com", "widgets", "a", "x.json"}, "resources/example.com/widgets/namespaces/a/x.json.json"},
  };
  for (const Case& c : cases) {
    INFO(c.path);
    auto path = ObjectFilePath(c.object);
    REQUIRE(path.ok());
    CHECK(*path == c.path);
    auto back = ParseObjectFilePath(*path);
    REQUIRE(back.ok());
    CHECK(back->group == c.object.group);
    CHECK(back->resource == c.object.resource);
    CHECK(back->ns == c.object.ns);
    CHECK(back->name == c.object.name);
  }
}

TEST_CASE("Resource layout: names that are not safe path segments are refused", "[unit]") {
  const std::vector<ObjectFile> bad = {
      {"", "pods", "prod", ""},       {"", "pods", "prod", "."},
      {"", "pods", "prod", ".."},     {"", "pods", "prod", "a/b"},
      {"", "pods", "..", "x"},        {"", "", "prod", "x"},
      {"a/b", "pods", "prod", "x"},   {"", "pods", "prod", std::string("a\0b", 3)},
      {"", "pods", "prod", std::string(254, 'a')},
  };
  for (const ObjectFile& o : bad) {
    INFO(o.group << " " << o.resource << " " << o.ns << " " << o.name);
    auto path = ObjectFilePath(o);
    REQUIRE_FALSE(path.ok());
    CHECK(path.error().IsInvalidArgument());
  }
  CHECK(ObjectFilePath({"", "pods", "prod", std::string(253, 'a')}).ok());
}

TEST_CASE("Resource layout: paths that are not object files do not parse", "[unit]") {
  for (const char* path : {"index.json", "resources", "resources/core/pods",
                           "resources/core/pods/namespaces/prod",
                           "resources/core/pods/namespaces/prod/web.yaml",
                           "resources/core/pods/namespaces/prod/.json",
                           "resources/core/pods/cluster/prod/web.json",
                           "resources/core/pods/namespace/prod/web.json",
                           "other/core/pods/cluster/web.json",
                           "resources/core/pods/namespaces/../web.json",
                           "resources//pods/cluster/web.json",
                           "resources/core/pods/namespaces/prod/x/web.json",
                           "/resources/core/pods/cluster/web.json"}) {
    INFO(path);
    auto parsed = ParseObjectFilePath(path);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().IsInvalidArgument());
  }
}

ResourceIndex SampleIndex() {
  ResourceIndex index;
  index.cluster = "edge-1";
  index.server = "https://10.0.0.1:6443";
  index.taken_at = "2026-05-04T10:11:12Z";
  index.filters = {{"selector", "app=web"}};
  index.resources.push_back({"apps", "v1", "deployments", "Deployment", true, 3, 1234});
  index.resources.push_back({"", "v1", "namespaces", "Namespace", false, 2, 99});
  index.skipped.push_back({"", "v1", "events", "excluded by default (transient)"});
  index.warnings.push_back("secrets: forbidden: no");
  index.objects = 5;
  return index;
}

TEST_CASE("Resource layout: the index round trips through its JSON form", "[unit]") {
  ResourceIndex index = SampleIndex();
  nlohmann::json j = index.ToJson();
  CHECK(j["format"] == "cairn-kube-resources");
  CHECK(j["version"] == 1);
  auto back = ResourceIndex::FromJson(nlohmann::json::parse(j.dump()));
  REQUIRE(back.ok());
  CHECK(back->cluster == "edge-1");
  CHECK(back->server == index.server);
  CHECK(back->taken_at == index.taken_at);
  CHECK(back->filters == index.filters);
  CHECK(back->objects == 5);
  REQUIRE(back->resources.size() == 2);
  CHECK(back->resources[0].group == "apps");
  CHECK(back->resources[0].kind == "Deployment");
  CHECK(back->resources[0].namespaced);
  CHECK(back->resources[0].objects == 3);
  CHECK(back->resources[0].bytes == 1234);
  CHECK_FALSE(back->resources[1].namespaced);
  REQUIRE(back->skipped.size() == 1);
  CHECK(back->skipped[0].resource == "events");
  CHECK(back->skipped[0].reason == "excluded by default (transient)");
  CHECK(back->warnings == index.warnings);
  CHECK(back->ToJson() == j);
}

TEST_CASE("Resource layout: an index of another format, a newer version or mistyped fields is refused",
          "[unit]") {
  const nlohmann::json good = SampleIndex().ToJson();
  auto refused = [](nlohmann::json j, const std::string& says) {
    auto r = ResourceIndex::FromJson(j);
    INFO(j.dump());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().IsInvalidArgument());
    CHECK_THAT(r.error().message(), Catch::Contains(says));
  };
  refused(nlohmann::json::array(), "not a JSON object");
  auto j = good;
  j["format"] = "velero";
  refused(j, "velero");
  j = good;
  j["version"] = 2;
  refused(j, "version 2 is not supported");
  j = good;
  j.erase("version");
  refused(j, "version");
  j = good;
  j["objects"] = -1;
  refused(j, "objects");
  j = good;
  j["resources"] = nlohmann::json::object();
  refused(j, "resources");
  j = good;
  j["resources"][0]["bytes"] = "many";
  refused(j, "bytes");
  j = good;
  j["resources"][0].erase("resource");
  refused(j, "resource");
  j = good;
  j["skipped"][0]["reason"] = 7;
  refused(j, "reason");
  j = good;
  j["warnings"] = {1};
  refused(j, "warning");
  j = good;
  j["filters"] = "all";
  refused(j, "filters");
}

}  // namespace
}  // namespace cairn::kube
