#include "agent/resources/restore_selection.h"

#include <catch2/catch.hpp>
#include <set>

#include "tests/agent/resources/restore_fixture.h"

namespace cairn::kube {
namespace {

using test::Obj;

// Two namespaces, two apps in shop, a bound PVC/PV pair, cluster objects.
ResourceSet Cluster() {
  nlohmann::json pvc = Obj("v1", "PersistentVolumeClaim", "shop", "data",
                           {{"app.kubernetes.io/name", "web"}});
  pvc["spec"] = {{"volumeName", "pv-data"}, {"storageClassName", "fast"}};
  nlohmann::json pv = Obj("v1", "PersistentVolume", "", "pv-data");
  pv["spec"] = {{"claimRef", {{"namespace", "shop"}, {"name", "data"}}}};
  nlohmann::json other_pv = Obj("v1", "PersistentVolume", "", "pv-other");
  other_pv["spec"] = {{"claimRef", {{"namespace", "auth"}, {"name", "db"}}}};
  return test::MakeSet({
      Obj("v1", "Namespace", "", "shop"),
      Obj("v1", "Namespace", "", "auth"),
      Obj("storage.k8s.io/v1", "StorageClass", "", "fast"),
      Obj("rbac.authorization.k8s.io/v1", "ClusterRole", "", "viewer"),
      Obj("apps/v1", "Deployment", "shop", "web", {{"app.kubernetes.io/name", "web"}}),
      Obj("v1", "ConfigMap", "shop", "web-cfg", {{"app.kubernetes.io/name", "web"}}),
      Obj("apps/v1", "Deployment", "shop", "api", {{"app.kubernetes.io/name", "api"}, {"tier", "be"}}),
      Obj("apps/v1", "Deployment", "auth", "login", {{"app", "login"}, {"tier", "be"}}),
      pvc, pv, other_pv,
  });
}

std::set<std::string> Selected(const ResourceSet& set, const SelectionOptions& options) {
  Result<Selection> s = SelectObjects(set, options);
  REQUIRE(s.ok());
  std::set<std::string> out;
  for (std::size_t i : s->selected) out.insert(set.objects[i].Describe());
  return out;
}

TEST_CASE("SelectObjects: a full restore takes everything", "[unit]") {
  ResourceSet set = Cluster();
  CHECK(Selected(set, {}).size() == set.objects.size());
  SelectionOptions no_cluster;
  no_cluster.cluster_resources = ClusterResources::kNo;
  CHECK(Selected(set, no_cluster).size() == 5);
}

TEST_CASE("SelectObjects: one app brings its Namespace and bound PV, nothing else", "[unit]") {
  ResourceSet set = Cluster();
  SelectionOptions o;
  o.app = "web";
  CHECK(Selected(set, o) == std::set<std::string>{"Deployment shop/web", "ConfigMap shop/web-cfg",
                                                  "PersistentVolumeClaim shop/data",
                                                  "Namespace shop", "PersistentVolume pv-data"});
  o.app_label = "app";
  o.app = "login";
  CHECK(Selected(set, o) == std::set<std::string>{"Deployment auth/login", "Namespace auth"});
}

TEST_CASE("SelectObjects: one namespace, with and without cluster resources", "[unit]") {
  ResourceSet set = Cluster();
  SelectionOptions o;
  o.include_namespaces = {"auth"};
  CHECK(Selected(set, o) == std::set<std::string>{"Deployment auth/login", "Namespace auth"});
  o.cluster_resources = ClusterResources::kYes;
  CHECK(Selected(set, o).count("ClusterRole viewer") == 1);
  CHECK(Selected(set, o).count("StorageClass fast") == 1);
  o.cluster_resources = ClusterResources::kNo;
  CHECK(Selected(set, o) == std::set<std::string>{"Deployment auth/login"});
  o.cluster_resources = ClusterResources::kAuto;
  o.include_namespaces = {};
  o.exclude_namespaces = {"shop"};
  CHECK(Selected(set, o) == std::set<std::string>{"Deployment auth/login", "Namespace auth"});
}

TEST_CASE("SelectObjects: a filtered restore brings the CRDs of its custom resources only",
          "[unit]") {
  auto crd = [](const std::string& group, const std::string& kind, const std::string& name) {
    nlohmann::json o = Obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", name);
    o["spec"] = {{"group", group}, {"names", {{"kind", kind}}}};
    return o;
  };
  ResourceSet set = test::MakeSet({
      Obj("v1", "Namespace", "", "shop"),
      crd("example.com", "Widget", "widgets.example.com"),
      crd("example.com", "Gadget", "gadgets.example.com"),
      Obj("example.com/v1", "Widget", "shop", "w1", {{"app.kubernetes.io/name", "web"}}),
      Obj("example.com/v1", "Gadget", "shop", "g1", {{"app.kubernetes.io/name", "api"}}),
  });
  SelectionOptions o;
  o.app = "web";
  CHECK(Selected(set, o) == std::set<std::string>{"Widget shop/w1", "Namespace shop",
                                                  "CustomResourceDefinition widgets.example.com"});
  o.exclude_resources = {"customresourcedefinitions.apiextensions.k8s.io"};
  CHECK(Selected(set, o) == std::set<std::string>{"Widget shop/w1", "Namespace shop"});
}

TEST_CASE("SelectObjects: label selector and resource type filters", "[unit]") {
  ResourceSet set = Cluster();
  SelectionOptions o;
  o.selector = "tier=be";
  CHECK(Selected(set, o) == std::set<std::string>{"Deployment shop/api", "Deployment auth/login",
                                                  "Namespace shop", "Namespace auth"});
  o.exclude_resources = {"namespaces"};
  CHECK(Selected(set, o) == std::set<std::string>{"Deployment shop/api", "Deployment auth/login"});
  // A type filter alone still brings the Namespaces the selected objects need.
  o = {};
  o.include_resources = {"deployments.apps"};
  CHECK(Selected(set, o).size() == 5);
  o.include_resources = {"Deployment"};
  o.exclude_resources = {"namespaces"};
  CHECK(Selected(set, o).size() == 3);
  o = {};
  o.include_resources = {"configmaps", "storageclasses.storage.k8s.io"};
  CHECK(Selected(set, o) == std::set<std::string>{"ConfigMap shop/web-cfg", "StorageClass fast",
                                                  "Namespace shop"});
  o = {};
  o.selector = "tier in (be";
  CHECK_FALSE(SelectObjects(set, o).ok());
  CHECK(ResourceNameMatches("widgets.example.com", "example.com", "widgets", "Widget"));
  CHECK_FALSE(ResourceNameMatches("widgets.other.io", "example.com", "widgets", "Widget"));
  CHECK_FALSE(ParseClusterResources("maybe").ok());
}

}  // namespace
}  // namespace cairn::kube
