// Discover against canned discovery documents: the core group, a group
// served in two versions (preferred flagged, a resource only in the older
// version still found), subresources skipped, and an aggregated group
// version answering 503 reported as a warning.
#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "agent/kube/discovery.h"
#include "tests/agent/kube/fake_api_server.h"

namespace cairn::kube {
namespace {

using nlohmann::json;

json Resource(const std::string& name, const std::string& kind, bool namespaced,
              json verbs = {"create", "delete", "get", "list", "patch", "update", "watch"}) {
  return {{"name", name}, {"singularName", ""}, {"namespaced", namespaced}, {"kind", kind},
          {"verbs", verbs}};
}

json ResourceList(const std::string& group_version, json resources) {
  return {{"kind", "APIResourceList"}, {"groupVersion", group_version}, {"resources", resources}};
}

Router DiscoveryRouter() {
  Router router;
  router.Add(http::verb::get, "/api", [](HttpRequest&) {
    return JsonResponse(200, {{"kind", "APIVersions"}, {"versions", {"v1"}}});
  });
  router.Add(http::verb::get, "/api/v1", [](HttpRequest&) {
    return JsonResponse(200, ResourceList("v1", {Resource("pods", "Pod", true),
                                                 Resource("pods/log", "Pod", true, {"get"}),
                                                 Resource("pods/status", "Pod", true),
                                                 Resource("namespaces", "Namespace", false),
                                                 Resource("bindings", "Binding", true, {"create"})}));
  });
  router.Add(http::verb::get, "/apis", [](HttpRequest&) {
    json groups = json::array();
    groups.push_back({{"name", "apps"},
                      {"versions",
                       {{{"groupVersion", "apps/v1"}, {"version", "v1"}},
                        {{"groupVersion", "apps/v1beta1"}, {"version", "v1beta1"}}}},
                      {"preferredVersion", {{"groupVersion", "apps/v1"}, {"version", "v1"}}}});
    groups.push_back({{"name", "metrics.k8s.io"},
                      {"versions", {{{"groupVersion", "metrics.k8s.io/v1beta1"}, {"version", "v1beta1"}}}},
                      {"preferredVersion",
                       {{"groupVersion", "metrics.k8s.io/v1beta1"}, {"version", "v1beta1"}}}});
    groups.push_back({{"name", "example.com"},
                      {"versions", {{{"groupVersion", "example.com/v1"}, {"version", "v1"}}}}});
    return JsonResponse(200, {{"kind", "APIGroupList"}, {"groups", groups}});
  });
  router.Add(http::verb::get, "/apis/apps/v1", [](HttpRequest&) {
    return JsonResponse(200, ResourceList("apps/v1", {Resource("deployments", "Deployment", true),
                                                      Resource("deployments/scale", "Scale", true),
                                                      Resource("daemonsets", "DaemonSet", true)}));
  });
  router.Add(http::verb::get, "/apis/apps/v1beta1", [](HttpRequest&) {
    return JsonResponse(200, ResourceList("apps/v1beta1",
                                          {Resource("deployments", "Deployment", true),
                                           Resource("controllerrevisions", "ControllerRevision", true)}));
  });
  router.Add(http::verb::get, "/apis/metrics.k8s.io/v1beta1", [](HttpRequest&) {
    return test::StatusResponse(503, "ServiceUnavailable",
                                "the server is currently unable to handle the request");
  });
  router.Add(http::verb::get, "/apis/example.com/v1", [](HttpRequest&) {
    return JsonResponse(200, ResourceList("example.com/v1", {Resource("widgets", "Widget", false)}));
  });
  return router;
}

std::vector<std::string> Names(const std::vector<const ApiResource*>& rs) {
  std::vector<std::string> out;
  for (const ApiResource* r : rs) out.push_back(r->qualified_name() + "@" + r->version);
  std::sort(out.begin(), out.end());
  return out;
}

TEST_CASE("Discover: finds every group version, flags preferred, skips subresources, warns on 503",
          "[integration]") {
  cairn::test::TestServer srv(DiscoveryRouter(), test::KubeListener());
  test::SleepLog log;
  auto client = test::MakeClient(test::ClientOptions(srv.port(), &log));

  auto found = Discover(*client);
  INFO(found.status().ToString());
  REQUIRE(found.ok());
  const DiscoveryResult& d = *found;

  std::vector<std::string> all;
  for (const ApiResource& r : d.resources) all.push_back(r.qualified_name() + "@" + r.version);
  std::sort(all.begin(), all.end());
  CHECK(all == std::vector<std::string>{"bindings@v1", "controllerrevisions.apps@v1beta1",
                                        "daemonsets.apps@v1", "deployments.apps@v1",
                                        "deployments.apps@v1beta1", "namespaces@v1", "pods@v1",
                                        "widgets.example.com@v1"});

  REQUIRE(d.warnings.size() == 1);
  CHECK_THAT(d.warnings[0], Catch::Contains("metrics.k8s.io/v1beta1") &&
                                Catch::Contains("unable to handle the request"));

  // One version per resource: the preferred one, or the only one serving it.
  CHECK(Names(d.Preferred()) ==
        std::vector<std::string>{"bindings@v1", "controllerrevisions.apps@v1beta1",
                                 "daemonsets.apps@v1", "deployments.apps@v1", "namespaces@v1",
                                 "pods@v1", "widgets.example.com@v1"});

  const ApiResource* beta = d.FindKind("apps/v1beta1", "Deployment");
  REQUIRE(beta != nullptr);
  CHECK_FALSE(beta->preferred);
  const ApiResource* deploy = d.FindPreferredKind("apps", "Deployment");
  REQUIRE(deploy != nullptr);
  CHECK(deploy->preferred);
  CHECK(deploy->version == "v1");
  CHECK(deploy->namespaced);
  CHECK(deploy->HasVerb("list"));
  CHECK_FALSE(d.FindKind("apps/v1", "Scale"));
  CHECK(d.FindPreferredKind("apps", "ControllerRevision") != nullptr);
  // A group without preferredVersion: its first version is preferred.
  const ApiResource* widget = d.FindPreferredKind("example.com", "Widget");
  REQUIRE(widget != nullptr);
  CHECK(widget->preferred);
  CHECK_FALSE(widget->namespaced);
  const ApiResource* bindings = d.FindKind("v1", "Binding");
  REQUIRE(bindings != nullptr);
  CHECK_FALSE(bindings->HasVerb("list"));
}

TEST_CASE("Discover: a failing /api is an error, not a warning", "[integration]") {
  Router router;
  router.Add(http::verb::get, "/api", [](HttpRequest&) {
    return test::StatusResponse(403, "Forbidden", "forbidden: User \"anonymous\" cannot get path \"/api\"");
  });
  cairn::test::TestServer srv(std::move(router), test::KubeListener());
  auto client = test::MakeClient(test::ClientOptions(srv.port(), nullptr));
  auto found = Discover(*client);
  REQUIRE_FALSE(found.ok());
  CHECK(found.error().IsPermissionDenied());
  CHECK_THAT(found.error().message(), Catch::Contains("cannot get path"));
}

TEST_CASE("ApiResource: paths and names as kubectl spells them", "[unit]") {
  ApiResource deploy{"apps", "v1", "deployments", "Deployment", true, true, {"list"}};
  CHECK(deploy.group_version() == "apps/v1");
  CHECK(deploy.qualified_name() == "deployments.apps");
  CHECK(deploy.CollectionPath() == "/apis/apps/v1/deployments");
  CHECK(deploy.CollectionPath("prod") == "/apis/apps/v1/namespaces/prod/deployments");
  CHECK(deploy.ObjectPath("prod", "web") == "/apis/apps/v1/namespaces/prod/deployments/web");

  ApiResource role{"rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false, true, {}};
  CHECK(role.ObjectPath("ignored", "system:node") ==
        "/apis/rbac.authorization.k8s.io/v1/clusterroles/system:node");
  CHECK(role.ObjectPath("", "a b/c") == "/apis/rbac.authorization.k8s.io/v1/clusterroles/a%20b%2Fc");

  ApiResource pods{"", "v1", "pods", "Pod", true, true, {}};
  CHECK(pods.group_version() == "v1");
  CHECK(pods.qualified_name() == "pods");
  CHECK(pods.CollectionPath() == "/api/v1/pods");
  CHECK(pods.ObjectPath("default", "p") == "/api/v1/namespaces/default/pods/p");
}

}  // namespace
}  // namespace cairn::kube
