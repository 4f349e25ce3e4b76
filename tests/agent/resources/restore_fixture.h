// Test fixtures for the resources restore: small objects of the kinds a
// restore orders and maps, and a SnapshotFiles holding them in the snapshot
// layout (index.json + one file per object), as a backup would write it.
// Header-only (the test program globs *_test.cc). Not thread-safe.
#pragma once

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/resources/resource_layout.h"
#include "agent/resources/resource_set.h"
#include "agent/resources/snapshot_files.h"

namespace cairn::kube::test {

using nlohmann::json;

struct KindInfo {
  std::string resource;
  bool namespaced;
};

// The kinds the fixtures use, by "group/Kind".
inline const std::map<std::string, KindInfo>& FixtureKinds() {
  static const std::map<std::string, KindInfo> kinds = {
      {"/Namespace", {"namespaces", false}},
      {"/ConfigMap", {"configmaps", true}},
      {"/Secret", {"secrets", true}},
      {"/Service", {"services", true}},
      {"/Pod", {"pods", true}},
      {"/ServiceAccount", {"serviceaccounts", true}},
      {"/PersistentVolumeClaim", {"persistentvolumeclaims", true}},
      {"/PersistentVolume", {"persistentvolumes", false}},
      {"apps/Deployment", {"deployments", true}},
      {"apps/ReplicaSet", {"replicasets", true}},
      {"apps/StatefulSet", {"statefulsets", true}},
      {"storage.k8s.io/StorageClass", {"storageclasses", false}},
      {"rbac.authorization.k8s.io/RoleBinding", {"rolebindings", true}},
      {"rbac.authorization.k8s.io/ClusterRoleBinding", {"clusterrolebindings", false}},
      {"rbac.authorization.k8s.io/ClusterRole", {"clusterroles", false}},
      {"apiextensions.k8s.io/CustomResourceDefinition", {"customresourcedefinitions", false}},
      {"example.com/Widget", {"widgets", true}},
      {"example.com/Gadget", {"gadgets", true}},
  };
  return kinds;
}

inline json Obj(const std::string& api_version, const std::string& kind, const std::string& ns,
                const std::string& name, const std::map<std::string, std::string>& labels = {}) {
  json o = {{"apiVersion", api_version}, {"kind", kind}, {"metadata", {{"name", name}}}};
  if (!ns.empty()) o["metadata"]["namespace"] = ns;
  if (!labels.empty()) o["metadata"]["labels"] = labels;
  return o;
}

inline json WidgetCrd() {
  json crd = Obj("apiextensions.k8s.io/v1", "CustomResourceDefinition", "", "widgets.example.com");
  crd["spec"] = {{"group", "example.com"},
                 {"scope", "Namespaced"},
                 {"names", {{"plural", "widgets"}, {"singular", "widget"}, {"kind", "Widget"}}},
                 {"versions",
                  json::array({{{"name", "v1"},
                                {"served", true},
                                {"storage", true},
                                {"schema",
                                 {{"openAPIV3Schema",
                                   {{"type", "object"},
                                    {"x-kubernetes-preserve-unknown-fields", true}}}}}}})}};
  return crd;
}

inline ObjectFile FileOf(const json& o) {
  auto [group, version] = SplitApiVersion(o["apiVersion"].get<std::string>());
  const KindInfo& info = FixtureKinds().at(group + "/" + o["kind"].get<std::string>());
  ObjectFile f;
  f.group = group;
  f.resource = info.resource;
  f.ns = o["metadata"].value("namespace", "");
  f.name = o["metadata"]["name"].get<std::string>();
  return f;
}

// index.json and one file per object, as the backup lays them out.
inline SnapshotFiles MakeSnapshot(const std::vector<json>& objects) {
  SnapshotFiles files;
  ResourceIndex index;
  index.cluster = "test";
  std::map<std::string, IndexedResource> resources;
  for (const json& o : objects) {
    ObjectFile f = FileOf(o);
    Result<std::string> path = ObjectFilePath(f);
    REQUIRE(path.ok());
    files.files[*path] = o.dump(2) + "\n";
    IndexedResource& r = resources[f.group + "/" + f.resource];
    r.group = f.group;
    r.version = SplitApiVersion(o["apiVersion"].get<std::string>()).second;
    r.resource = f.resource;
    r.kind = o["kind"].get<std::string>();
    r.namespaced = FixtureKinds().at(f.group + "/" + r.kind).namespaced;
    ++r.objects;
    ++index.objects;
  }
  for (auto& [key, r] : resources) index.resources.push_back(r);
  files.files[std::string(kIndexFile)] = index.ToJson().dump();
  return files;
}

inline ResourceSet MakeSet(const std::vector<json>& objects) {
  Result<ResourceSet> set = BuildResourceSet(MakeSnapshot(objects));
  REQUIRE(set.ok());
  return std::move(*set);
}

}  // namespace cairn::kube::test
