// The cleaner removes exactly the runtime fields its header lists, keeps
// everything else, and leaves a headless Service's "None" alone.
#include <catch2/catch.hpp>

#include "agent/resources/resource_cleaner.h"

namespace cairn::kube {
namespace {

using nlohmann::json;

TEST_CASE("ResourceCleaner: runtime fields go, labels, annotations, finalizers and spec stay",
          "[unit]") {
  json live = json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {
      "name": "web", "namespace": "prod",
      "uid": "0b5c", "resourceVersion": "812", "generation": 4,
      "creationTimestamp": "2026-01-01T00:00:00Z", "selfLink": "/apis/apps/v1/x",
      "deletionTimestamp": "2026-01-02T00:00:00Z", "deletionGracePeriodSeconds": 30,
      "managedFields": [{"manager": "kubectl"}],
      "labels": {"app": "web"},
      "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}", "note": "x"},
      "finalizers": ["example.com/keep"],
      "ownerReferences": [{"apiVersion": "v1", "kind": "Thing", "name": "o", "uid": "u1",
                           "controller": true}]
    },
    "spec": {"replicas": 3, "clusterIP": "10.0.0.1"},
    "status": {"readyReplicas": 3}
  })");
  json expected = json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {
      "name": "web", "namespace": "prod",
      "labels": {"app": "web"},
      "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}", "note": "x"},
      "finalizers": ["example.com/keep"],
      "ownerReferences": [{"apiVersion": "v1", "kind": "Thing", "name": "o", "controller": true}]
    },
    "spec": {"replicas": 3, "clusterIP": "10.0.0.1"}
  })");
  // Not a Service: a field called clusterIP elsewhere is data.
  CHECK(CleanResource(live) == expected);
}

TEST_CASE("ResourceCleaner: Services lose allocated cluster IPs but keep headless None", "[unit]") {
  struct Case {
    const char* name;
    json spec;
    json expected;
  };
  const std::vector<Case> cases = {
      {"allocated",
       {{"clusterIP", "10.96.0.12"}, {"clusterIPs", {"10.96.0.12"}}, {"ports", {{{"port", 80}}}}},
       {{"ports", {{{"port", 80}}}}}},
      {"dual stack", {{"clusterIP", "10.96.0.1"}, {"clusterIPs", {"10.96.0.1", "fd00::1"}}},
       json::object()},
      {"headless", {{"clusterIP", "None"}, {"clusterIPs", {"None"}}},
       {{"clusterIP", "None"}, {"clusterIPs", {"None"}}}},
      {"empty ips", {{"clusterIP", ""}, {"clusterIPs", json::array()}}, json::object()},
      {"none", {{"type", "ExternalName"}}, {{"type", "ExternalName"}}},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    json service = {{"apiVersion", "v1"}, {"kind", "Service"},
                    {"metadata", {{"name", "s"}, {"uid", "1"}}}, {"spec", c.spec}};
    json cleaned = CleanResource(service);
    CHECK(cleaned["spec"] == c.expected);
    CHECK(cleaned["metadata"] == json{{"name", "s"}});
  }
  // A custom resource whose kind is also "Service" is not the core Service.
  json custom = {{"apiVersion", "example.com/v1"}, {"kind", "Service"},
                 {"spec", {{"clusterIP", "10.1.1.1"}}}};
  CHECK(CleanResource(custom)["spec"]["clusterIP"] == "10.1.1.1");
}

TEST_CASE("ResourceCleaner: odd shapes are left alone, never thrown about", "[unit]") {
  for (const json& j : {json(nullptr), json("text"), json::array({1, 2}), json(7),
                        json{{"metadata", "not an object"}, {"status", 1}},
                        json{{"metadata", {{"ownerReferences", "x"}}}},
                        json{{"metadata", {{"ownerReferences", {1, "a"}}}}},
                        json{{"apiVersion", "v1"}, {"kind", "Service"}, {"spec", 3}}}) {
    INFO(j.dump());
    json cleaned = CleanResource(j);
    if (j.is_object()) {
      CHECK_FALSE(cleaned.contains("status"));
    } else {
      CHECK(cleaned == j);
    }
  }
}

}  // namespace
}  // namespace cairn::kube
