// HookRunner: runs the pre/post backup hooks of the pods that mount the
// volumes of one backup, around the reading of those volumes (it is the
// VolumeSource's observer).
//
// Order: a pod's pre hook runs just before the first of its volumes is read;
// its post hook runs right after the last of them has been read. Finish()
// runs every post hook still owed -- the backup failed or stopped early --
// for each pod whose volumes were started, unless the pod's pre hook failed
// under on-error Fail (then nothing more of that pod runs). So a post hook
// (an unfreeze) always follows a pre hook (a freeze) that ran.
//
// A hook that fails (non-zero exit, could not run, timed out) under on-error
// Fail makes BeforeVolume/AfterVolume return Cancelled naming the pod, the
// exit code and the end of stderr: the backup stops and nothing is
// committed. Under Continue it becomes a warning.
//
// One runner serves several attempts of a backup (RunAgentBackup may run the
// source twice): StartAttempt() settles the previous attempt (Finish) and
// starts afresh.
//
// Thread-safety: one thread at a time (the backup's walker, then the caller).
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "agent/volumes/hook_spec.h"
#include "agent/volumes/pod_exec.h"
#include "agent/volumes/volume_source.h"

namespace cairn::volumes {

struct HookPod {
  std::string ns;
  std::string name;
  PodHooks hooks;
};

struct HookResult {
  std::string pod;  // "ns/name"
  std::string container;
  HookPhase phase = HookPhase::kPre;
  std::string command;  // argv joined by spaces, for reports
  bool ok = false;
  int exit_code = -1;        // -1: did not run to an exit code
  std::string error;         // why it failed to run ("" when it ran)
  std::string stderr_tail;   // last bytes of stderr (bounded, see pod_exec.h)
  std::int64_t duration_ms = 0;
  bool after_failure = false;  // ran by Finish() after the backup stopped

  std::string Summary() const;  // one line for warnings and logs
};

class HookRunner final : public VolumeObserver {
 public:
  // `pods_of_volume[i]` indexes into `pods`: the pods mounting volume i of
  // the VolumeSource (its sorted order). `exec` must outlive the runner.
  HookRunner(PodExecutor& exec, std::vector<HookPod> pods,
             std::vector<std::vector<std::size_t>> pods_of_volume);

  Status BeforeVolume(std::size_t index) override;
  Status AfterVolume(std::size_t index) override;

  void StartAttempt();
  // Runs the post hooks still owed (see above). Safe to call twice.
  void Finish();

  const std::vector<HookResult>& results() const { return results_; }
  // Failures under Continue (and of post hooks run by Finish), one line each.
  std::vector<std::string> TakeWarnings();

 private:
  struct PodState {
    bool started = false;   // one of its volumes was begun
    bool pre_failed = false;  // its pre hook failed under Fail
    bool post_done = false;
    std::size_t volumes_left = 0;
  };
  // Runs one hook; records its result; the Status follows on-error.
  Status Run(std::size_t pod, const HookSpec& spec, bool after_failure);
  Status RunPost(std::size_t pod, bool after_failure);

  PodExecutor& exec_;
  std::vector<HookPod> pods_;
  std::vector<std::vector<std::size_t>> pods_of_volume_;
  std::vector<PodState> state_;
  std::vector<HookResult> results_;
  std::vector<std::string> warnings_;
};

}  // namespace cairn::volumes
