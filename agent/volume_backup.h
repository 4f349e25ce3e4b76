// RunVolumeBackup: the node-level volume backup of cairn-agent. Finds the
// PVCs mounted on this node (KubeletVolumes), runs the pods' pre hooks,
// reads each PVC's files (VolumeSource: "volumes/<ns>/<pvc>/...", with the
// files cache), runs the post hooks, and commits one snapshot to the
// appliance under the name `volumes-<node>` (tags kind=volumes, node=<node>).
//
// Called by `cairn-agent backup-volumes` and by the scheduler.
// Failures: no snapshot is committed when the backup fails, including when a
// hook with on-error Fail fails; post hooks owed still run first (see
// hook_runner.h) and the error message says what they did.
// Thread-safety: one call at a time per KubeClient (it is used on the
// calling thread); the backup itself runs the engine's worker threads.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "agent/agent_backup.h"
#include "agent/kube/kube_client.h"
#include "agent/volumes/hook_runner.h"
#include "agent/volumes/pod_exec.h"

namespace cairn {

struct VolumeBackupOptions {
  std::string name;  // default "volumes-<node>"
  std::string node;
  std::filesystem::path kubelet_dir = "/var/lib/kubelet";
  std::vector<std::string> include_namespaces;
  std::vector<std::string> pvcs;  // "ns/name"
  bool run_hooks = true;
  std::vector<std::string> tags;  // added to kind=volumes, node=<node>
  int threads = 0;
  bool use_files_cache = true;
  // Runs the hooks; nullptr: a PodExec on the client's configuration.
  volumes::PodExecutor* executor = nullptr;
};

struct VolumeBackupResult {
  AgentBackupResult upload;
  std::vector<std::string> volumes;  // "ns/pvc (pv, pod, host path)"
  std::vector<std::string> warnings;
  std::vector<volumes::HookResult> hooks;  // in the order they ran
};

// The snapshot name used when options.name is empty.
std::string DefaultVolumeBackupName(const std::string& node);

Result<VolumeBackupResult> RunVolumeBackup(kube::KubeClient& client, const AgentState& state,
                                           const VolumeBackupOptions& options,
                                           JobProgress* progress);

}  // namespace cairn
