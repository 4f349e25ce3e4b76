#include "agent/resources/restore_order.h"

#include <catch2/catch.hpp>

namespace cairn::kube {
namespace {

using nlohmann::json;

json Owned(const std::string& api_version, const std::string& kind, const std::string& name) {
  return {{"metadata",
           {{"ownerReferences",
             json::array({{{"apiVersion", api_version}, {"kind", kind}, {"name", name}}})}}}};
}

std::vector<std::string> Names(const std::vector<OrderItem>& items) {
  OrderResult r = OrderForRestore(items);
  std::vector<std::string> out;
  for (std::size_t i : r.order) out.push_back(items[i].kind + "/" + items[i].name);
  return out;
}

TEST_CASE("OrderForRestore: CRDs and namespaces first, workloads, then the rest, CRs last",
          "[unit]") {
  std::vector<OrderItem> items = {
      {"example.com", "widgets", "Widget", "shop", "w1", true, nullptr},
      {"", "services", "Service", "shop", "web", false, nullptr},
      {"", "pods", "Pod", "shop", "p", false, nullptr},
      {"apps", "deployments", "Deployment", "shop", "web", false, nullptr},
      {"", "configmaps", "ConfigMap", "shop", "c", false, nullptr},
      {"", "secrets", "Secret", "shop", "s", false, nullptr},
      {"rbac.authorization.k8s.io", "rolebindings", "RoleBinding", "shop", "rb", false, nullptr},
      {"", "serviceaccounts", "ServiceAccount", "shop", "sa", false, nullptr},
      {"", "persistentvolumeclaims", "PersistentVolumeClaim", "shop", "d", false, nullptr},
      {"", "persistentvolumes", "PersistentVolume", "", "pv", false, nullptr},
      {"storage.k8s.io", "storageclasses", "StorageClass", "", "fast", false, nullptr},
      {"", "namespaces", "Namespace", "", "shop", false, nullptr},
      {"apiextensions.k8s.io", "customresourcedefinitions", "CustomResourceDefinition", "",
       "widgets.example.com", false, nullptr},
  };
  CHECK(Names(items) == std::vector<std::string>{
                            "CustomResourceDefinition/widgets.example.com", "Namespace/shop",
                            "StorageClass/fast", "PersistentVolume/pv",
                            "PersistentVolumeClaim/d", "ServiceAccount/sa", "RoleBinding/rb",
                            "Secret/s", "ConfigMap/c", "Deployment/web", "Pod/p", "Service/web",
                            "Widget/w1"});
  CHECK(RestoreRank("apiextensions.k8s.io", "customresourcedefinitions", false) == 0);
  CHECK(RestoreRank("", "services", false) < RestoreRank("example.com", "widgets", true));
}

TEST_CASE("OrderForRestore: an owner comes before its dependents whatever their ranks",
          "[unit]") {
  // A Pod owned by a custom resource (which ranks after pods) moves after it;
  // a ReplicaSet owned by a Deployment stays after it.
  json pod_owner = Owned("example.com/v1", "Widget", "w1");
  json rs_owner = Owned("apps/v1", "Deployment", "web");
  json pod_of_rs = Owned("apps/v1", "ReplicaSet", "web-1");
  std::vector<OrderItem> items = {
      {"", "pods", "Pod", "shop", "wpod", false, &pod_owner},
      {"apps", "replicasets", "ReplicaSet", "shop", "web-1", false, &rs_owner},
      {"", "pods", "Pod", "shop", "web-1-a", false, &pod_of_rs},
      {"example.com", "widgets", "Widget", "shop", "w1", true, nullptr},
      {"apps", "deployments", "Deployment", "shop", "web", false, nullptr},
  };
  CHECK(Names(items) == std::vector<std::string>{"Deployment/web", "ReplicaSet/web-1",
                                                 "Pod/web-1-a", "Widget/w1", "Pod/wpod"});
}

TEST_CASE("OrderForRestore: an owner cycle is reported and everything is still placed",
          "[unit]") {
  json a_owner = Owned("v1", "ConfigMap", "b");
  json b_owner = Owned("v1", "ConfigMap", "a");
  std::vector<OrderItem> items = {
      {"", "configmaps", "ConfigMap", "ns", "a", false, &a_owner},
      {"", "configmaps", "ConfigMap", "ns", "b", false, &b_owner},
      {"", "secrets", "Secret", "ns", "s", false, nullptr},
  };
  OrderResult r = OrderForRestore(items);
  CHECK(r.order.size() == 3);
  CHECK(r.warnings.size() == 2);
  CHECK(items[r.order[0]].name == "s");
}

}  // namespace
}  // namespace cairn::kube
