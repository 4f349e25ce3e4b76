// KubeletVolumes: which PersistentVolumeClaims are mounted on this node, and
// the directory on the node where each one's files are.
//
// The pods of the node (listed with fieldSelector spec.nodeName=NODE, and
// checked again here) name their claims in spec.volumes[].persistentVolumeClaim;
// each claim's spec.volumeName is the PersistentVolume, and the kubelet
// mounts it at
//
//   <kubelet-dir>/pods/<pod uid>/volumes/<plugin>/<pv name>[/mount]
//
// where <plugin> is the volume plugin's name with '/' escaped as '~'
// ("kubernetes.io~csi", "kubernetes.io~local-volume", "kubernetes.io~nfs");
// CSI volumes keep their data in the "mount" subdirectory. The plugin is
// found by looking for the PV's directory under each plugin directory, so no
// PV object (and no extra permission) is needed.
//
// A PVC mounted by several pods of the node is listed once (the first pod,
// by name, whose directory exists), with every pod that mounts it (their
// hooks all run). Pending claims, block-mode claims, pods that have ended and
// directories that are missing are warnings, not failures.
//
// Thread-safety: plain values; Discover uses the client on the calling thread.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/kube/kube_client.h"
#include "agent/volumes/hook_spec.h"
#include "agent/volumes/volume_layout.h"

namespace cairn::volumes {

struct MountedVolume {
  PvcRef pvc;
  std::string pv;
  std::string pod;                 // the pod whose mount is read
  std::filesystem::path host_path;  // the PVC's files
  std::string plugin;               // "kubernetes.io~csi"
  std::vector<std::string> pods;    // every pod of the node mounting it (same namespace)
};

struct NodePod {
  std::string ns;
  std::string name;
  std::string uid;
  std::vector<std::string> containers;  // spec order
  std::map<std::string, std::string> annotations;
};

struct VolumeMap {
  std::vector<MountedVolume> volumes;  // sorted by namespace, then PVC name
  std::vector<NodePod> pods;           // the pods that mount a listed volume, sorted
  std::vector<std::string> warnings;
};

struct KubeletVolumesOptions {
  std::string node;
  std::filesystem::path kubelet_dir = "/var/lib/kubelet";
  std::vector<std::string> include_namespaces;  // empty: all
  std::vector<PvcRef> pvcs;                     // empty: all
};

// Gets one PVC object (NotFound when it does not exist).
using PvcLookup = std::function<Result<nlohmann::json>(const PvcRef&)>;

class KubeletVolumes {
 public:
  explicit KubeletVolumes(KubeletVolumesOptions options) : options_(std::move(options)) {}

  // Lists the node's pods through the API server, then Map.
  Result<VolumeMap> Discover(kube::KubeClient& client) const;

  // The mapping from pod objects (as the API returns them) and a PVC lookup.
  // Errors only for what makes the whole answer wrong (an invalid option, a
  // lookup failing other than NotFound).
  Result<VolumeMap> Map(const std::vector<nlohmann::json>& pods, const PvcLookup& lookup) const;

  const KubeletVolumesOptions& options() const { return options_; }

 private:
  KubeletVolumesOptions options_;
};

}  // namespace cairn::volumes
