#include "agent/volumes/kubelet_volumes.h"

#include <algorithm>
#include <set>
#include <system_error>
#include <tuple>

#include "agent/kube/api_path.h"
#include "agent/kube/discovery.h"
#include "agent/kube/list_pager.h"

namespace cairn::volumes {
namespace {

namespace fs = std::filesystem;

// Directory entries looked at under one pod's volumes/ directory (plugins).
constexpr std::size_t kMaxPluginDirs = 1024;

std::string Str(const nlohmann::json& o, const char* key) {
  if (!o.is_object()) return "";
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const nlohmann::json& Obj(const nlohmann::json& o, const char* key) {
  static const nlohmann::json kNull;
  if (!o.is_object()) return kNull;
  auto it = o.find(key);
  return it == o.end() ? kNull : *it;
}

// Pod UIDs become a path component: Kubernetes makes them UUIDs.
bool IsSafeUid(const std::string& uid) {
  return !uid.empty() && uid.size() <= 64 && std::all_of(uid.begin(), uid.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-';
  });
}

bool IsDir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);  // follows symlinks, as the kubelet's own paths may be
}

struct Found {
  fs::path path;
  std::string plugin;
  std::string problem;  // why nothing was found
};

// Looks for <pod dir>/volumes/<plugin>/<pv>; CSI data is under "mount".
Found FindVolumeDir(const fs::path& kubelet_dir, const std::string& uid, const std::string& pv) {
  Found out;
  const fs::path volumes = kubelet_dir / "pods" / uid / "volumes";
  std::error_code ec;
  fs::directory_iterator it(volumes, ec);
  if (ec) {
    out.problem = volumes.string() + ": " + ec.message();
    return out;
  }
  std::vector<std::string> plugins;
  for (; it != fs::directory_iterator() && plugins.size() < kMaxPluginDirs; it.increment(ec)) {
    if (ec) break;
    plugins.push_back(it->path().filename().string());
  }
  std::sort(plugins.begin(), plugins.end());
  for (const std::string& plugin : plugins) {
    fs::path dir = volumes / plugin / pv;
    if (!IsDir(dir)) continue;
    if (plugin == "kubernetes.io~csi") {
      if (!IsDir(dir / "mount")) {
        out.problem = (dir / "mount").string() + " is missing (the CSI volume is not mounted)";
        continue;
      }
      dir /= "mount";
    }
    out.path = dir;
    out.plugin = plugin;
    return out;
  }
  if (out.problem.empty()) {
    out.problem = "no " + (volumes / "*" / pv).string();
  }
  return out;
}

bool Selected(const std::vector<std::string>& include, const std::string& ns) {
  return include.empty() || std::find(include.begin(), include.end(), ns) != include.end();
}

}  // namespace

Result<VolumeMap> KubeletVolumes::Map(const std::vector<nlohmann::json>& pods,
                                      const PvcLookup& lookup) const {
  const KubeletVolumesOptions& o = options_;
  if (o.node.empty()) return Status::InvalidArgument("the node name is empty; pass --node NODE");
  for (const std::string& ns : o.include_namespaces) {
    CAIRN_RETURN_IF_ERROR(ValidateNamespaceName(ns).WithContext("--include-namespaces"));
  }
  const std::set<PvcRef> wanted(o.pvcs.begin(), o.pvcs.end());
  VolumeMap out;
  std::vector<NodePod> node_pods;
  std::map<PvcRef, std::vector<std::size_t>> claims;  // -> indexes into node_pods

  for (const nlohmann::json& pod : pods) {
    const nlohmann::json& meta = Obj(pod, "metadata");
    const nlohmann::json& spec = Obj(pod, "spec");
    NodePod p{Str(meta, "namespace"), Str(meta, "name"), Str(meta, "uid"), {}, {}};
    if (Str(spec, "nodeName") != o.node) continue;  // the server filtered already
    const std::string phase = Str(Obj(pod, "status"), "phase");
    if (phase == "Succeeded" || phase == "Failed") continue;  // its volumes are unmounted
    if (!Selected(o.include_namespaces, p.ns)) continue;
    Status valid = ValidateNamespaceName(p.ns);
    if (valid.ok()) valid = ValidateObjectName("pod name", p.name);
    if (valid.ok() && !IsSafeUid(p.uid)) {
      valid = Status::InvalidArgument("uid '" + p.uid + "' is not a UUID");
    }
    if (!valid.ok()) {
      out.warnings.push_back("pod " + p.ns + "/" + p.name + " skipped: " + valid.message());
      continue;
    }
    const nlohmann::json& containers = Obj(spec, "containers");
    if (containers.is_array()) {
      for (const auto& c : containers) p.containers.push_back(Str(c, "name"));
    }
    const nlohmann::json& annotations = Obj(meta, "annotations");
    if (annotations.is_object()) {
      for (auto it = annotations.begin(); it != annotations.end(); ++it) {
        if (it->is_string()) p.annotations[it.key()] = it->get<std::string>();
      }
    }
    bool uses_claim = false;
    const nlohmann::json& volumes = Obj(spec, "volumes");
    if (volumes.is_array()) {
      for (const auto& v : volumes) {
        std::string claim = Str(Obj(v, "persistentVolumeClaim"), "claimName");
        if (claim.empty()) continue;
        PvcRef ref{p.ns, claim};
        if (!wanted.empty() && wanted.count(ref) == 0) continue;
        if (Status s = ValidateObjectName("PVC name", claim); !s.ok()) {
          out.warnings.push_back("pod " + p.ns + "/" + p.name + ": " + s.message());
          continue;
        }
        auto& users = claims[ref];
        if (users.empty() || users.back() != node_pods.size()) users.push_back(node_pods.size());
        uses_claim = true;
      }
    }
    if (uses_claim) node_pods.push_back(std::move(p));
  }

  std::set<std::size_t> used_pods;
  for (auto& [ref, users] : claims) {
    std::sort(users.begin(), users.end(), [&](std::size_t a, std::size_t b) {
      return node_pods[a].name < node_pods[b].name;
    });
    auto pvc = lookup(ref);
    if (!pvc.ok()) {
      if (!pvc.error().IsNotFound()) return pvc.error().WithContext("PVC " + ref.ToString());
      out.warnings.push_back("PVC " + ref.ToString() + " (mounted by pod " +
                             node_pods[users.front()].name + ") does not exist; not backed up");
      continue;
    }
    const nlohmann::json& pvc_spec = Obj(*pvc, "spec");
    const std::string pv = Str(pvc_spec, "volumeName");
    if (pv.empty()) {
      out.warnings.push_back("PVC " + ref.ToString() + " is not bound to a volume yet; not backed up");
      continue;
    }
    if (Str(pvc_spec, "volumeMode") == "Block") {
      out.warnings.push_back("PVC " + ref.ToString() +
                             " is a block volume (volumeMode Block); only filesystem volumes "
                             "are backed up");
      continue;
    }
    if (Status s = ValidateObjectName("PV name", pv); !s.ok()) {
      out.warnings.push_back("PVC " + ref.ToString() + " skipped: " + s.message());
      continue;
    }
    MountedVolume mv;
    mv.pvc = ref;
    mv.pv = pv;
    std::string problems;
    for (std::size_t i : users) {
      mv.pods.push_back(node_pods[i].name);
      if (!mv.host_path.empty()) continue;
      Found found = FindVolumeDir(o.kubelet_dir, node_pods[i].uid, pv);
      if (found.path.empty()) {
        problems += (problems.empty() ? "" : "; ") + ("pod " + node_pods[i].name + ": " +
                                                      found.problem);
        continue;
      }
      mv.host_path = found.path;
      mv.plugin = found.plugin;
      mv.pod = node_pods[i].name;
    }
    if (mv.host_path.empty()) {
      out.warnings.push_back("PVC " + ref.ToString() + " (PV " + pv + ") has no directory on node " +
                             o.node + " (" + problems + "); not backed up");
      continue;
    }
    used_pods.insert(users.begin(), users.end());
    out.volumes.push_back(std::move(mv));
  }
  for (std::size_t i : used_pods) out.pods.push_back(node_pods[i]);
  std::sort(out.pods.begin(), out.pods.end(), [](const NodePod& a, const NodePod& b) {
    return std::tie(a.ns, a.name) < std::tie(b.ns, b.name);
  });
  for (const PvcRef& ref : wanted) {
    bool found = std::any_of(out.volumes.begin(), out.volumes.end(),
                             [&](const MountedVolume& v) { return v.pvc == ref; });
    if (!found && claims.count(ref) == 0) {
      out.warnings.push_back("PVC " + ref.ToString() + " is not mounted by any pod on node " +
                             o.node);
    }
  }
  return out;
}

Result<VolumeMap> KubeletVolumes::Discover(kube::KubeClient& client) const {
  kube::ApiResource pods_resource;
  pods_resource.version = "v1";
  pods_resource.resource = "pods";
  pods_resource.kind = "Pod";
  pods_resource.namespaced = true;
  pods_resource.verbs = {"list", "get"};
  kube::ListOptions list;
  list.field_selector = "spec.nodeName=" + options_.node;
  auto pods = kube::ListAll(client, pods_resource, list);
  if (!pods.ok()) return pods.error().WithContext("list the pods of node " + options_.node);
  PvcLookup lookup = [&client](const PvcRef& ref) {
    return client.Get("/api/v1/namespaces/" + kube::EscapePathSegment(ref.ns) +
                      "/persistentvolumeclaims/" + kube::EscapePathSegment(ref.name));
  };
  return Map(pods->items, lookup);
}

}  // namespace cairn::volumes
