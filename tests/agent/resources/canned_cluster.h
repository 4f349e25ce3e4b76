// A small canned cluster served over real TLS (tests/agent/kube's
// fake_api_server.h: HttpServer + a core/pki CA on 127.0.0.1:0) for the
// collector and source tests: discovery (/api, /api/v1, /apis, group
// versions) and paged lists (limit/continue, by namespace or across all) of
// a fixed set of objects carrying runtime fields. Every list hands out new
// resourceVersions and uids, as a live cluster would, so determinism tests
// mean something. Faults: a resource can answer 403 or 500 to every list.
// Header-only: the test program globs *_test.cc. Handlers run on the
// server's pool: shared state is locked.
#pragma once

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/agent/kube/fake_api_server.h"

namespace cairn::kube::test {

struct CannedCluster {
  std::mutex mu;
  std::set<std::string> forbidden;  // "configmaps", "deployments.apps"
  std::set<std::string> failing;    // 500 on every list
  std::map<std::string, int> pages;  // list requests served, by qualified name
  std::map<std::string, std::string> selectors;  // last labelSelector, by qualified name
  int counter = 0;  // bumps resourceVersion and uid on every list

  // Objects by qualified name ("pods", "deployments.apps").
  std::map<std::string, std::vector<nlohmann::json>> objects;

  CannedCluster() {
    using nlohmann::json;
    auto obj = [](const std::string& api_version, const std::string& kind, const std::string& ns,
                  const std::string& name, json extra = json::object()) {
      json o = {{"metadata", {{"name", name}, {"labels", {{"app", name.substr(0, 3)}}}}}};
      if (!ns.empty()) o["metadata"]["namespace"] = ns;
      o["status"] = {{"phase", "Running"}};
      o["spec"] = {{"owner", kind}};
      // Built-in types' list items carry no apiVersion/kind (ListAll adds them).
      if (api_version.find("example.com") != std::string::npos) {
        o["apiVersion"] = api_version;
        o["kind"] = kind;
      }
      o.update(extra);
      return o;
    };
    for (const char* ns : {"default", "dev", "prod"}) {
      objects["namespaces"].push_back(obj("v1", "Namespace", "", ns));
    }
    for (int i = 0; i < 4; ++i) objects["pods"].push_back(obj("v1", "Pod", "prod", "web-" + std::to_string(i)));
    for (int i = 0; i < 2; ++i) objects["pods"].push_back(obj("v1", "Pod", "dev", "api-" + std::to_string(i)));
    objects["pods"].push_back(obj("v1", "Pod", "default", "lonely"));
    objects["services"].push_back(obj("v1", "Service", "prod", "web",
                                      {{"spec", {{"clusterIP", "10.96.0.12"}, {"clusterIPs", {"10.96.0.12"}}}}}));
    objects["services"].push_back(obj("v1", "Service", "dev", "api",
                                      {{"spec", {{"clusterIP", "None"}}}}));
    objects["secrets"].push_back(obj("v1", "Secret", "prod", "db", {{"data", {{"password", "c2VjcmV0"}}}}));
    objects["configmaps"].push_back(obj("v1", "ConfigMap", "prod", "settings"));
    objects["events"].push_back(obj("v1", "Event", "prod", "web-0.1"));
    objects["nodes"].push_back(obj("v1", "Node", "", "node-a"));
    objects["deployments.apps"].push_back(obj("apps/v1", "Deployment", "prod", "web"));
    objects["deployments.apps"].push_back(obj("apps/v1", "Deployment", "dev", "api"));
    objects["widgets.example.com"].push_back(obj("example.com/v1", "Widget", "prod", "w1"));
    objects["widgets.example.com"].push_back(obj("example.com/v1", "Widget", "dev", "w2"));
    objects["clusterpolicies.example.com"].push_back(obj("example.com/v1", "ClusterPolicy", "", "strict"));
    objects["pods.metrics.k8s.io"].push_back(obj("metrics.k8s.io/v1beta1", "PodMetrics", "prod", "web-0"));
  }

  static nlohmann::json Res(const std::string& name, const std::string& kind, bool namespaced,
                            std::vector<std::string> verbs = {"get", "list", "watch", "create"}) {
    return {{"name", name}, {"kind", kind}, {"namespaced", namespaced}, {"verbs", verbs}};
  }

  static nlohmann::json Discovery(const std::string& path) {
    using nlohmann::json;
    if (path == "/api") return {{"kind", "APIVersions"}, {"versions", {"v1"}}};
    auto list = [](const std::string& gv, json resources) {
      return json{{"kind", "APIResourceList"}, {"groupVersion", gv}, {"resources", resources}};
    };
    if (path == "/api/v1") {
      return list("v1", {Res("namespaces", "Namespace", false), Res("pods", "Pod", true),
                         Res("pods/log", "Pod", true, {"get"}), Res("services", "Service", true),
                         Res("secrets", "Secret", true), Res("configmaps", "ConfigMap", true),
                         Res("events", "Event", true), Res("nodes", "Node", false),
                         Res("bindings", "Binding", true, {"create"})});
    }
    if (path == "/apis") {
      auto group = [](const std::string& name, std::vector<std::string> versions) {
        json vs = json::array();
        for (const auto& v : versions) vs.push_back({{"groupVersion", name + "/" + v}, {"version", v}});
        return json{{"name", name}, {"versions", vs}, {"preferredVersion", vs[0]}};
      };
      return {{"kind", "APIGroupList"},
              {"groups", {group("apps", {"v1"}), group("example.com", {"v1", "v1beta1"}),
                          group("metrics.k8s.io", {"v1beta1"})}}};
    }
    if (path == "/apis/apps/v1") return list("apps/v1", {Res("deployments", "Deployment", true)});
    if (path == "/apis/example.com/v1" || path == "/apis/example.com/v1beta1") {
      return list(path.substr(6), {Res("widgets", "Widget", true),
                                   Res("clusterpolicies", "ClusterPolicy", false)});
    }
    if (path == "/apis/metrics.k8s.io/v1beta1") {
      return list("metrics.k8s.io/v1beta1", {Res("pods", "PodMetrics", true, {"get", "list"})});
    }
    return nullptr;
  }

  HttpResponse List(HttpRequest& req, const std::string& group, const std::string& resource,
                    const std::string& ns) {
    const std::string q = group.empty() ? resource : resource + "." + group;
    std::lock_guard lock(mu);
    ++pages[q];
    selectors[q] = req.query_value("labelSelector").value_or("");
    if (forbidden.contains(q)) {
      return StatusResponse(403, "Forbidden",
                            q + " is forbidden: User \"cairn\" cannot list resource \"" + resource + "\"");
    }
    if (failing.contains(q)) return StatusResponse(500, "InternalError", "etcd is on fire");
    auto it = objects.find(q);
    if (it == objects.end()) return StatusResponse(404, "NotFound", "the server could not find the requested resource");
    std::vector<nlohmann::json> items;
    for (const nlohmann::json& o : it->second) {
      if (ns.empty() || o["metadata"].value("namespace", "") == ns) items.push_back(o);
    }
    const std::size_t limit = std::stoul(req.query_value("limit").value_or("500"));
    const std::size_t from = std::stoul(req.query_value("continue").value_or("0"));
    nlohmann::json page = nlohmann::json::array();
    for (std::size_t i = from; i < items.size() && i < from + limit; ++i) {
      nlohmann::json o = items[i];
      ++counter;
      o["metadata"]["resourceVersion"] = std::to_string(1000 + counter);
      o["metadata"]["uid"] = "uid-" + std::to_string(counter);
      o["metadata"]["managedFields"] = {{{"manager", "kubectl"}, {"time", std::to_string(counter)}}};
      page.push_back(std::move(o));
    }
    nlohmann::json meta = {{"resourceVersion", std::to_string(1000 + counter)}};
    if (from + limit < items.size()) meta["continue"] = std::to_string(from + limit);
    return JsonResponse(200, {{"kind", "List"}, {"apiVersion", "v1"}, {"metadata", meta},
                              {"items", page}});
  }

  // The routes; `self` must outlive the server.
  static Router Routes(std::shared_ptr<CannedCluster> self) {
    Router r;
    auto discovery = [](HttpRequest& req) {
      nlohmann::json doc = Discovery(req.path);
      return doc.is_null() ? StatusResponse(404, "NotFound", "no such group version")
                           : JsonResponse(200, doc);
    };
    r.Add(http::verb::get, "/api", discovery);
    r.Add(http::verb::get, "/api/v1", discovery);
    r.Add(http::verb::get, "/apis", discovery);
    r.Add(http::verb::get, "/apis/{g}/{v}", discovery);
    r.Add(http::verb::get, "/api/v1/{res}", [self](HttpRequest& req) {
      return self->List(req, "", req.params["res"], "");
    });
    r.Add(http::verb::get, "/api/v1/namespaces/{ns}/{res}", [self](HttpRequest& req) {
      return self->List(req, "", req.params["res"], req.params["ns"]);
    });
    r.Add(http::verb::get, "/apis/{g}/{v}/{res}", [self](HttpRequest& req) {
      return self->List(req, req.params["g"], req.params["res"], "");
    });
    r.Add(http::verb::get, "/apis/{g}/{v}/namespaces/{ns}/{res}", [self](HttpRequest& req) {
      return self->List(req, req.params["g"], req.params["res"], req.params["ns"]);
    });
    return r;
  }
};

// A canned cluster and its server, and a client for it that never sleeps.
struct CannedServer {
  std::shared_ptr<CannedCluster> cluster = std::make_shared<CannedCluster>();
  SleepLog sleeps;
  cairn::test::TestServer server{CannedCluster::Routes(cluster), KubeListener()};
  std::unique_ptr<KubeClient> client = MakeClient(ClientOptions(server.port(), &sleeps));
};

}  // namespace cairn::kube::test
