#include "agent/volumes/kubelet_volumes.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "tests/support/temp_dir.h"

namespace cairn::volumes {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json Pod(const std::string& ns, const std::string& name, const std::string& uid,
         const std::string& node, const std::vector<std::string>& claims) {
  json volumes = json::array();
  volumes.push_back({{"name", "config"}, {"configMap", {{"name", "cfg"}}}});
  for (std::size_t i = 0; i < claims.size(); ++i) {
    volumes.push_back({{"name", "v" + std::to_string(i)},
                       {"persistentVolumeClaim", {{"claimName", claims[i]}}}});
  }
  return {{"metadata", {{"namespace", ns}, {"name", name}, {"uid", uid}}},
          {"spec",
           {{"nodeName", node},
            {"containers", json::array({{{"name", "app"}}, {{"name", "sidecar"}}})},
            {"volumes", volumes}}},
          {"status", {{"phase", "Running"}}}};
}

// PVCs of the fake cluster: ns/name -> bound PV ("" = pending).
PvcLookup Lookup(std::map<std::string, std::string> bound) {
  return [bound](const PvcRef& ref) -> Result<json> {
    auto it = bound.find(ref.ToString());
    if (it == bound.end()) return Status::NotFound("persistentvolumeclaims \"" + ref.name + "\" not found");
    json spec = json::object();
    if (!it->second.empty()) spec["volumeName"] = it->second;
    return json{{"metadata", {{"namespace", ref.ns}, {"name", ref.name}}}, {"spec", spec}};
  };
}

void MakeDir(const fs::path& p) { REQUIRE(fs::create_directories(p)); }

struct FakeNode {
  TempDir tmp{"cairn-kubelet"};
  fs::path kubelet = tmp.path() / "kubelet";
  fs::path VolumeDir(const std::string& uid, const std::string& plugin, const std::string& pv) {
    return kubelet / "pods" / uid / "volumes" / plugin / pv;
  }
};

KubeletVolumesOptions Options(const FakeNode& node) {
  KubeletVolumesOptions o;
  o.node = "node-a";
  o.kubelet_dir = node.kubelet;
  return o;
}

bool HasWarning(const VolumeMap& map, const std::string& text) {
  for (const std::string& w : map.warnings) {
    if (w.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST_CASE("KubeletVolumes: CSI volumes map to their mount subdirectory, local volumes to the PV directory",
          "[unit]") {
  FakeNode node;
  MakeDir(node.VolumeDir("uid-1", "kubernetes.io~csi", "pv-db") / "mount");
  MakeDir(node.VolumeDir("uid-2", "kubernetes.io~local-volume", "pv-web"));
  std::vector<json> pods = {Pod("shop", "db-0", "uid-1", "node-a", {"data-db-0"}),
                            Pod("web", "web-0", "uid-2", "node-a", {"www"})};
  auto map = KubeletVolumes(Options(node))
                 .Map(pods, Lookup({{"shop/data-db-0", "pv-db"}, {"web/www", "pv-web"}}));
  INFO(map.status().ToString());
  REQUIRE(map.ok());
  REQUIRE(map->volumes.size() == 2);
  const MountedVolume& db = map->volumes[0];
  CHECK(db.pvc == PvcRef{"shop", "data-db-0"});
  CHECK(db.pv == "pv-db");
  CHECK(db.pod == "db-0");
  CHECK(db.plugin == "kubernetes.io~csi");
  CHECK(db.host_path == node.VolumeDir("uid-1", "kubernetes.io~csi", "pv-db") / "mount");
  const MountedVolume& web = map->volumes[1];
  CHECK(web.pvc == PvcRef{"web", "www"});
  CHECK(web.host_path == node.VolumeDir("uid-2", "kubernetes.io~local-volume", "pv-web"));
  CHECK(map->warnings.empty());
  REQUIRE(map->pods.size() == 2);
  CHECK(map->pods[0].containers == std::vector<std::string>{"app", "sidecar"});
}

TEST_CASE("KubeletVolumes: a PVC mounted by two pods of the node is listed once, with both pods",
          "[unit]") {
  FakeNode node;
  // The first pod by name has no directory (being torn down); the second has.
  MakeDir(node.VolumeDir("uid-b", "kubernetes.io~nfs", "pv-shared"));
  std::vector<json> pods = {Pod("shop", "writer-b", "uid-b", "node-a", {"shared"}),
                            Pod("shop", "reader-a", "uid-a", "node-a", {"shared", "shared"})};
  auto map = KubeletVolumes(Options(node)).Map(pods, Lookup({{"shop/shared", "pv-shared"}}));
  REQUIRE(map.ok());
  REQUIRE(map->volumes.size() == 1);
  CHECK(map->volumes[0].pod == "writer-b");
  CHECK(map->volumes[0].pods == std::vector<std::string>{"reader-a", "writer-b"});
  CHECK(map->pods.size() == 2);
}

TEST_CASE("KubeletVolumes: a missing directory, a pending claim and a missing claim are warnings",
          "[unit]") {
  FakeNode node;
  MakeDir(node.VolumeDir("uid-1", "kubernetes.io~csi", "pv-nomount"));  // CSI without mount/
  std::vector<json> pods = {Pod("a", "p1", "uid-1", "node-a", {"nomount"}),
                            Pod("a", "p2", "uid-2", "node-a", {"gone-dir", "pending", "ghost"})};
  auto map = KubeletVolumes(Options(node))
                 .Map(pods, Lookup({{"a/nomount", "pv-nomount"},
                                    {"a/gone-dir", "pv-gone"},
                                    {"a/pending", ""}}));
  INFO(map.status().ToString());
  REQUIRE(map.ok());
  CHECK(map->volumes.empty());
  INFO(map->warnings.size());
  CHECK(HasWarning(*map, "the CSI volume is not mounted"));
  CHECK(HasWarning(*map, "PVC a/gone-dir (PV pv-gone) has no directory on node node-a"));
  CHECK(HasWarning(*map, "PVC a/pending is not bound"));
  CHECK(HasWarning(*map, "PVC a/ghost (mounted by pod p2) does not exist"));
}

TEST_CASE("KubeletVolumes: pods of other nodes, ended pods and filtered namespaces or PVCs are left out",
          "[unit]") {
  FakeNode node;
  MakeDir(node.VolumeDir("uid-1", "kubernetes.io~local-volume", "pv-1"));
  MakeDir(node.VolumeDir("uid-2", "kubernetes.io~local-volume", "pv-2"));
  MakeDir(node.VolumeDir("uid-3", "kubernetes.io~local-volume", "pv-3"));
  MakeDir(node.VolumeDir("uid-4", "kubernetes.io~local-volume", "pv-4"));
  json done = Pod("a", "job", "uid-4", "node-a", {"c4"});
  done["status"]["phase"] = "Succeeded";
  std::vector<json> pods = {Pod("a", "p1", "uid-1", "node-a", {"c1"}),
                            Pod("b", "p2", "uid-2", "node-a", {"c2"}),
                            Pod("a", "p3", "uid-3", "node-b", {"c3"}), done};
  auto lookup = Lookup({{"a/c1", "pv-1"}, {"b/c2", "pv-2"}, {"a/c3", "pv-3"}, {"a/c4", "pv-4"}});
  KubeletVolumesOptions o = Options(node);
  auto all = KubeletVolumes(o).Map(pods, lookup);
  REQUIRE(all.ok());
  REQUIRE(all->volumes.size() == 2);
  CHECK(all->volumes[0].pvc == PvcRef{"a", "c1"});
  CHECK(all->volumes[1].pvc == PvcRef{"b", "c2"});

  o.include_namespaces = {"b"};
  auto only_b = KubeletVolumes(o).Map(pods, lookup);
  REQUIRE(only_b.ok());
  REQUIRE(only_b->volumes.size() == 1);
  CHECK(only_b->volumes[0].pvc == PvcRef{"b", "c2"});

  o.include_namespaces.clear();
  o.pvcs = {PvcRef{"a", "c1"}, PvcRef{"a", "c3"}};
  auto picked = KubeletVolumes(o).Map(pods, lookup);
  REQUIRE(picked.ok());
  REQUIRE(picked->volumes.size() == 1);
  CHECK(picked->volumes[0].pvc == PvcRef{"a", "c1"});
  CHECK(HasWarning(*picked, "PVC a/c3 is not mounted by any pod on node node-a"));
}

TEST_CASE("KubeletVolumes: names that could escape the kubelet directory are refused", "[unit]") {
  FakeNode node;
  MakeDir(node.kubelet / "pods");
  std::vector<json> pods = {Pod("a", "p1", "../../etc", "node-a", {"c1"}),
                            Pod("a", "p2", "uid-2", "node-a", {"c2"})};
  auto map = KubeletVolumes(Options(node)).Map(pods, Lookup({{"a/c1", "pv-1"}, {"a/c2", "../x"}}));
  REQUIRE(map.ok());
  CHECK(map->volumes.empty());
  CHECK(HasWarning(*map, "pod a/p1 skipped: uid '../../etc' is not a UUID"));
  CHECK(HasWarning(*map, "PV name '../x'"));
}

TEST_CASE("KubeletVolumes: a lookup failing for another reason than NotFound fails the mapping",
          "[unit]") {
  FakeNode node;
  std::vector<json> pods = {Pod("a", "p1", "uid-1", "node-a", {"c1"})};
  PvcLookup denied = [](const PvcRef&) -> Result<json> {
    return Status::PermissionDenied("persistentvolumeclaims is forbidden");
  };
  auto map = KubeletVolumes(Options(node)).Map(pods, denied);
  REQUIRE_FALSE(map.ok());
  CHECK(map.error().IsPermissionDenied());
  CHECK_THAT(map.error().message(), Catch::Contains("PVC a/c1"));
}

}  // namespace
}  // namespace cairn::volumes
