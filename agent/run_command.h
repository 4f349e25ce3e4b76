// `cairn-agent run --config FILE [--state-dir D] [--volumes] [--node N]`:
// the agent's long-running mode. It keeps the schedules and runs their jobs.
//
// RunLoop, one pass at a time:
//  1. every refresh_seconds, fetch the appliance's schedules for this
//     cluster; on success cache them in <state>/schedules.json, while the
//     appliance is unreachable use that cache (or none). The effective set is
//     the config's [[schedule]]s merged with the appliance's; on an equal
//     name the appliance's wins (logged: schedule.overridden).
//  2. keep the schedules of the kinds this agent runs: volumes in --volumes
//     mode (the node DaemonSet), resources and directory otherwise (the
//     Deployment); others are logged once as schedule.skipped.
//  3. run every due job (ScheduleTracker: missed fire times coalesce, failed
//     runs retry with backoff) one at a time, logging job.started,
//     job.finished (snapshot id and figures) or job.failed (reason, next
//     retry), saving <state>/schedule-state.json after each.
// Between passes it waits until the next fire time, retry or refresh.
// SIGTERM and SIGINT stop it between jobs, or after the running job: a job
// is never cut off midway (an upload stopped halfway would only be resent).
//
// On a first start with no enrollment in the state directory and a token
// file in [enrollment], `run` enrolls first (retrying while the appliance is
// unreachable).
//
// Thread-safety: RunLoop belongs to the thread that runs it.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "agent/agent_commands.h"
#include "agent/agent_config.h"
#include "agent/schedule/schedule_tracker.h"
#include "agent/scheduled_jobs.h"
#include "core/base/clock.h"

namespace cairn {

struct RunLoopOptions {
  std::filesystem::path state_dir;
  std::vector<ScheduleConfig> config_schedules;
  RetryPolicy retry;
  std::int64_t refresh_seconds = 60;
  // The kinds this agent runs (see above).
  std::set<JobKind> kinds = {JobKind::kResources, JobKind::kDirectory};
};

class RunLoop {
 public:
  static constexpr const char* kScheduleCacheFile = "schedules.json";
  static constexpr const char* kScheduleStateFile = "schedule-state.json";
  // The longest single wait, so a changed clock is noticed within it.
  static constexpr std::chrono::milliseconds kMaxWait{30000};

  // `source` may be null (no appliance schedules); `clock`, `source` and
  // `runner` must outlive the loop.
  RunLoop(RunLoopOptions options, Clock& clock, ScheduleSource* source, JobRunner& runner)
      : options_(std::move(options)), clock_(clock), source_(source), runner_(runner),
        tracker_(options_.state_dir / kScheduleStateFile, options_.retry) {}

  // Loads the run history (a corrupt file is moved aside and logged) and the
  // cached appliance schedules.
  Status Start();

  // One pass at the clock's now (see above). `stop` is asked between jobs.
  // Returns the Unix time (s) at which the next pass is needed.
  std::int64_t Pass(const std::function<bool()>& stop);

  // Passes until a stop: `wait(d)` waits up to d and returns true when a stop
  // was requested (a signal, or a test).
  void Run(const std::function<bool(std::chrono::milliseconds)>& wait);

  // The schedules this agent runs now, by name.
  const std::map<std::string, ScheduleConfig>& schedules() const { return active_; }
  const ScheduleTracker& tracker() const { return tracker_; }

 private:
  std::int64_t Now() const { return clock_.NowUnixNanos() / 1'000'000'000; }
  void Refresh();
  void Apply(const std::vector<ScheduleConfig>& from_appliance);
  void RunJob(const ScheduleConfig& s, const DueCheck& due);
  void SaveTracker();

  RunLoopOptions options_;
  Clock& clock_;
  ScheduleSource* source_;
  JobRunner& runner_;
  ScheduleTracker tracker_;
  std::vector<ScheduleConfig> appliance_schedules_;  // last fetched (or cached)
  std::map<std::string, ScheduleConfig> active_;
  std::map<std::string, CronExpression> crons_;
  std::int64_t next_refresh_ = 0;
  bool fetch_failing_ = false;
  bool applied_ = false;  // the first Apply always logs the set
};

// Adds the `run` subcommand.
void RegisterRunCommand(CLI::App& app, AgentCommandFlags& flags);

}  // namespace cairn
