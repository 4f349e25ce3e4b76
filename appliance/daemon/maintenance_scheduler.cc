#include "appliance/daemon/maintenance_scheduler.h"

#include <algorithm>
#include <optional>

#include "appliance/daemon/jobs_api.h"
#include "appliance/daemon/services.h"
#include "core/base/duration.h"
#include "core/base/log.h"
#include "core/base/utc_time.h"

namespace cairn {
namespace {

using json = nlohmann::json;

// The longest single sleep: the fire times are wall-clock instants and the
// wait is measured on the steady clock, so after a step of the system clock
// (NTP at boot, an operator's date -s) the wait is measured again within a
// minute instead of firing hours off the wall-clock time.
constexpr std::int64_t kMaxSleepNs = 60 * kNanosPerSecond;

// The id of the job that is running, if any. Peeked before each scheduled
// start so that waiting for a long job is not audited as a refused start
// every retry (the API audits each refused request; a retry is not one).
std::optional<std::string> RunningJob(JobRunner& jobs) {
  for (const json& job : jobs.List()) {
    if (job.value("state", "") == "running") return job.value("id", "");
  }
  return std::nullopt;
}

Status AddPlan(std::vector<MaintenancePlan>& plans, const std::string& kind,
               const std::string& cron_text, json options) {
  if (cron_text.empty()) return Status::Ok();  // disabled
  auto cron = CronExpression::Parse(cron_text);
  if (!cron.ok()) return cron.error().WithContext("maintenance." + kind);
  plans.push_back(MaintenancePlan{kind, std::move(*cron), std::move(options)});
  return Status::Ok();
}

}  // namespace

Result<std::vector<MaintenancePlan>> MaintenancePlans(const MaintenanceConfig& config) {
  std::vector<MaintenancePlan> plans;
  CAIRN_RETURN_IF_ERROR(AddPlan(plans, "prune", config.prune, json::object()));
  CAIRN_RETURN_IF_ERROR(
      AddPlan(plans, "gc", config.gc, json{{"grace", FormatDuration(config.gc_grace)}}));
  CAIRN_RETURN_IF_ERROR(AddPlan(plans, "verify", config.verify,
                                json{{"unverified_days", config.verify_unverified_days}}));
  return plans;
}

MaintenanceScheduler::MaintenanceScheduler(ApplianceServices& services,
                                           std::vector<MaintenancePlan> plans,
                                           std::chrono::milliseconds retry_interval)
    : services_(services), retry_interval_(retry_interval) {
  const std::int64_t now = services_.clock.NowUnixNanos();
  for (MaintenancePlan& plan : plans) {
    Entry entry{std::move(plan)};
    entry.next_unix_ns = NextFire(entry, now);
    entries_.push_back(std::move(entry));
  }
}

MaintenanceScheduler::~MaintenanceScheduler() { Stop(); }

std::int64_t MaintenanceScheduler::NextFire(const Entry& entry, std::int64_t now_ns) {
  // Whole seconds: a fire time is a second boundary, and Next() is strictly
  // after its argument, so a kind started at second S next fires after S.
  auto next = entry.plan.cron.Next(now_ns / kNanosPerSecond);
  if (!next.ok()) {
    Log(LogLevel::kError, "maintenance.never",
        {{"kind", entry.plan.kind},
         {"cron", entry.plan.cron.text()},
         {"error", next.error().ToString()}});
    return 0;
  }
  return *next * kNanosPerSecond;
}

void MaintenanceScheduler::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stop_ || entries_.empty()) return;
  for (const Entry& e : entries_) {
    Log(LogLevel::kInfo, "maintenance.scheduled",
        {{"kind", e.plan.kind},
         {"cron", e.plan.cron.text()},
         {"next", e.next_unix_ns ? FormatUtc(e.next_unix_ns) : "never"}});
  }
  thread_ = std::thread([this] { Loop(); });
}

void MaintenanceScheduler::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MaintenanceScheduler::Loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    // The earliest kind that has a next time at all.
    std::optional<std::size_t> earliest;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].next_unix_ns == 0) continue;
      if (!earliest || entries_[i].next_unix_ns < entries_[*earliest].next_unix_ns) earliest = i;
    }
    if (!earliest) {
      wake_.wait(lock, [this] { return stop_; });
      break;
    }
    const std::int64_t wait_ns = entries_[*earliest].next_unix_ns - services_.clock.NowUnixNanos();
    if (wait_ns > 0) {
      wake_.wait_for(lock, std::chrono::nanoseconds(std::min(wait_ns, kMaxSleepNs)),
                     [this] { return stop_; });
      continue;  // stopped, or measure again: the clock may have moved either way
    }
    Fire(*earliest, lock);
  }
}

void MaintenanceScheduler::Fire(std::size_t i, std::unique_lock<std::mutex>& lock) {
  const std::string kind = entries_[i].plan.kind;
  const json options = entries_[i].plan.options;
  const bool was_deferred = entries_[i].deferred;
  lock.unlock();
  std::optional<std::string> running = services_.jobs ? RunningJob(*services_.jobs) : std::nullopt;
  Result<std::string> id = running ? Result<std::string>(Status::AlreadyExists("job running"))
                                   : StartAuditedJob(services_, kind, options, kActor);
  lock.lock();

  Entry& entry = entries_[i];
  const std::int64_t now = services_.clock.NowUnixNanos();
  if (!id.ok() && id.error().IsAlreadyExists()) {
    // Another job holds the runner (or won the race to it): try again soon;
    // the fire times that pass meanwhile are this same pending start.
    entry.deferred = true;
    entry.next_unix_ns = now + std::chrono::nanoseconds(retry_interval_).count();
    if (!was_deferred) {
      Log(LogLevel::kInfo, "maintenance.deferred",
          {{"kind", kind},
           {"running", running.value_or("")},
           {"retry_every_ms", static_cast<std::int64_t>(retry_interval_.count())}});
    }
    return;
  }
  entry.deferred = false;
  entry.next_unix_ns = NextFire(entry, now);
  const std::string next = entry.next_unix_ns ? FormatUtc(entry.next_unix_ns) : "never";
  if (id.ok()) {
    Log(LogLevel::kInfo, "maintenance.started", {{"kind", kind}, {"job", *id}, {"next", next}});
  } else {
    // Options the kind refuses or an unknown kind: retrying cannot help, the
    // next fire time may (after a restart with a mended config). Audited.
    Log(LogLevel::kError, "maintenance.failed",
        {{"kind", kind}, {"error", id.error().ToString()}, {"next", next}});
  }
}

json MaintenanceScheduler::Scheduled() const {
  std::lock_guard lock(mu_);
  json out = json::array();
  for (const Entry& e : entries_) {
    out.push_back({{"kind", e.plan.kind},
                   {"cron", e.plan.cron.text()},
                   {"next_unix_ns", e.next_unix_ns},
                   {"next", e.next_unix_ns ? FormatUtc(e.next_unix_ns) : ""},
                   {"deferred", e.deferred}});
  }
  return out;
}

}  // namespace cairn
