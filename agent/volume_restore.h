// RunVolumeRestore: restores PVC files from a volume snapshot (see
// volume_backup.h) -- into a directory (DIR/<ns>/<pvc>/...) or back into the
// directory where the PVC is mounted on this node now.
//
// Only the selected PVCs' entries are restored, and they are picked from the
// manifest before anything is fetched, so other volumes' chunks never cross
// the wire. Each PVC is restored on its own (its entries re-rooted so its
// root is "."), into its own confined TreeRestorer: a snapshot's paths can
// never leave the PVC's destination. Existing files there are overwritten;
// files the snapshot does not hold are left alone.
//
// Thread-safety: one call at a time; the restore runs the engine's fetch
// threads.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "agent/agent_backup.h"
#include "agent/volumes/volume_layout.h"
#include "core/tree/tree_restorer.h"

namespace cairn {

struct VolumeRestoreOptions {
  std::string snapshot = "latest";  // id, unique prefix, or latest
  std::string name;                 // with latest: the snapshot family ("" = any)
  std::vector<std::string> pvcs;    // "ns/name"; empty: every PVC in the snapshot
  int threads = 0;
  RestoreOptions restore;
};

// Where one PVC's files go.
using VolumeDestination =
    std::function<Result<std::filesystem::path>(const volumes::PvcRef& pvc)>;
// DIR/<ns>/<pvc>.
VolumeDestination TargetDirDestination(std::filesystem::path dir);

struct VolumeRestoreItem {
  volumes::PvcRef pvc;
  std::filesystem::path destination;
  RestoreResult result;
};

struct VolumeRestoreResult {
  std::string snapshot_id;
  std::vector<VolumeRestoreItem> volumes;
  std::vector<std::string> errors;  // every volume's per-entry failures, prefixed
};

// NotFound when a selected PVC is not in the snapshot (the message lists
// those it holds), or the snapshot holds no volume at all.
Result<VolumeRestoreResult> RunVolumeRestore(const AgentState& state,
                                             const VolumeRestoreOptions& options,
                                             const VolumeDestination& destination,
                                             JobProgress* progress);

}  // namespace cairn
