// MaintenanceScheduler: the appliance runs its maintenance jobs (prune, gc,
// verify) by itself, on the cron schedules of [maintenance]
// (configs/appliance.toml), in UTC.
//
// One thread. For each enabled kind it keeps the next fire time (the cron's
// next after now) and sleeps on a condition variable until the earliest;
// Stop() wakes it at once. A due kind is started exactly as
// POST /v1/jobs/{kind} starts it (StartAuditedJob: built from its options,
// audited, actor "schedule:maintenance").
//
// Jobs run one at a time (JobRunner). A kind that falls due while another job
// runs is deferred, not skipped: it is tried again every retry interval
// (60 s) until it starts, and fire times that pass meanwhile fold into that
// one pending start -- a three-hour verify never leaves three prunes queued.
// Only the start itself is audited; waiting is logged once per deferral
// (maintenance.deferred), so a long job does not fill the audit log with
// refusals.
//
// Owned by Appliance::Run (started once the listeners are up, stopped before
// the job runner); GET /v1/jobs shows Scheduled() through
// ApplianceServices::maintenance.
// Thread-safety: Start/Stop from the owning thread; Scheduled() from any.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "appliance/config/appliance_config.h"
#include "core/base/status.h"
#include "core/schedule/cron_expression.h"

namespace cairn {

struct ApplianceServices;

// One scheduled kind: when, and the options POST /v1/jobs/{kind} would carry.
struct MaintenancePlan {
  std::string kind;  // "prune", "gc" or "verify"
  CronExpression cron;
  nlohmann::json options;
};

// The plans of `config`, one per enabled kind, in the order prune, gc,
// verify: prune {}, gc {"grace": gc_grace}, verify {"unverified_days": N}.
// InvalidArgument naming the key when a cron does not parse (a loaded
// config has been checked already; one built in code may not have been).
Result<std::vector<MaintenancePlan>> MaintenancePlans(const MaintenanceConfig& config);

class MaintenanceScheduler {
 public:
  static constexpr const char* kActor = "schedule:maintenance";
  static constexpr std::chrono::milliseconds kRetryInterval{60'000};

  // `services` (with its jobs and job_kinds) must outlive the scheduler.
  // `retry_interval`: how often a deferred kind tries again (tests shorten it).
  MaintenanceScheduler(ApplianceServices& services, std::vector<MaintenancePlan> plans,
                       std::chrono::milliseconds retry_interval = kRetryInterval);
  ~MaintenanceScheduler();  // Stop()
  MaintenanceScheduler(const MaintenanceScheduler&) = delete;
  MaintenanceScheduler& operator=(const MaintenanceScheduler&) = delete;

  // Starts the thread (once; no thread when there are no plans).
  void Start();
  // Wakes the thread and joins it; a job it started keeps running (the job
  // runner stops it). Idempotent.
  void Stop();

  // [{"kind","cron","next_unix_ns","next","deferred"}], in plan order:
  // when each kind is next tried (for a deferred kind: its next retry).
  nlohmann::json Scheduled() const;

 private:
  struct Entry {
    MaintenancePlan plan;
    std::int64_t next_unix_ns = 0;  // 0: never (the cron has no next time)
    bool deferred = false;
  };

  void Loop();
  // Tries to start entries_[i] and sets its next time and deferred flag.
  // Called with `lock` held; releases it while the job is started (that
  // writes the audit log), so Scheduled() never waits on SQLite.
  void Fire(std::size_t i, std::unique_lock<std::mutex>& lock);
  // The cron's next fire time after `now_ns`, or 0 (logged) if none.
  static std::int64_t NextFire(const Entry& entry, std::int64_t now_ns);

  ApplianceServices& services_;
  const std::chrono::milliseconds retry_interval_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Entry> entries_;  // fixed size after construction; fields under mu_
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace cairn
