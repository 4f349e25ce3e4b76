// RunResourceRestore: a Kubernetes resources snapshot back into a cluster,
// or into a folder of YAML files -- the job behind
// `cairn-agent restore-resources`.
//
//   snapshot files (from the appliance via RunAgentRestore, or an extracted
//   folder) -> ResourceSet (validated) -> RestorePlan (selection, mappings,
//   patches, target API, order) -> one of
//     --to-dir:  YAML files for kubectl apply (no API server needed)
//     --dry-run: the plan, with existence queried when the target answers
//     else:      ApplyPlan against the target
//
// Thread-safety: runs on the calling thread; the client is used only there.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "agent/agent_state.h"
#include "agent/kube/kube_client.h"
#include "agent/resources/restore_applier.h"
#include "agent/resources/restore_plan.h"
#include "agent/resources/snapshot_files.h"
#include "core/engine/progress.h"
#include "core/engine/restore.h"

namespace cairn {

// Where the snapshot comes from: `from_dir` when set, else the appliance
// (`state` must then be set; `request` picks the snapshot).
struct ResourceSetSource {
  std::string from_dir;
  const AgentState* state = nullptr;
  RestoreRequest request;
  kube::SnapshotFilesLimits limits;
};

struct ResourceRestoreOptions {
  kube::PlanOptions plan;
  kube::ExistingPolicy existing = kube::ExistingPolicy::kSkip;
  bool dry_run = false;
  std::string to_dir;  // non-empty: write YAML here, no API server used
  std::chrono::milliseconds crd_wait{30000};
  // Dry run: one line per object is printed here as it is planned (null: none).
  std::FILE* plan_out = nullptr;
};

struct ResourceRestoreResult {
  std::string snapshot_id;  // "" for --from-dir
  bool dry_run = false;
  std::string to_dir;
  std::uint64_t objects = 0;  // planned
  std::uint64_t created = 0, updated = 0, skipped = 0, failed = 0;
  std::uint64_t files_written = 0;  // --to-dir
  std::vector<kube::ObjectOutcome> outcomes;  // in restore order
  std::vector<std::string> notes;
  std::vector<std::string> warnings;
  double seconds = 0;

  double objects_per_second() const { return seconds > 0 ? objects / seconds : 0; }
  bool ok() const { return failed == 0; }
};

// Reads the snapshot's files (see ResourceSetSource).
Result<kube::SnapshotFiles> LoadResourceSnapshot(const ResourceSetSource& source,
                                                 std::string* snapshot_id);

// `client` may be null for --to-dir, and for a dry run when the target is not
// reachable (the plan is then printed without existence checks). An error
// only when nothing could be planned (snapshot unreadable, bad options, the
// target's discovery failing outside a dry run); object failures are counted
// in the result.
Result<ResourceRestoreResult> RunResourceRestore(kube::KubeClient* client,
                                                 const ResourceSetSource& source,
                                                 const ResourceRestoreOptions& options,
                                                 JobProgress* progress);

// The report: failures with the server's message, warnings, then one summary
// line. Returns the exit code: 0 only when nothing failed.
int PrintResourceRestoreReport(const ResourceRestoreResult& result, std::FILE* out);

}  // namespace cairn
