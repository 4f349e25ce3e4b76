// The appliance's maintenance schedule (appliance/daemon/
// maintenance_scheduler.h) on a real ApplianceCore: with crons that fire
// every second, prune, gc and verify start by themselves as
// "schedule:maintenance" and succeed; a kind due while another job runs is
// started after it (not lost until its next fire time, not audited while it
// waits); Stop() wakes a long sleep at once; a disabled kind never runs; and
// GET /v1/jobs shows when each kind runs next. Every wait is bounded.
#include "appliance/daemon/maintenance_scheduler.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <thread>

#include "appliance/daemon/jobs_api.h"
#include "core/base/utc_time.h"
#include "tests/appliance/daemon/test_appliance_core.h"
#include "tests/support/temp_dir.h"

namespace cairn {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr const char* kEverySecond = "*/1 * * * * *";
constexpr milliseconds kBound{10'000};    // the longest any test waits for a job
constexpr milliseconds kQuickRetry{100};  // instead of a minute, so tests take seconds

// Polls `done` until it holds or `bound` passes; whether it held.
bool WaitUntil(const std::function<bool()>& done, milliseconds bound = kBound) {
  const auto deadline = steady_clock::now() + bound;
  while (!done()) {
    if (steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return true;
}

// The jobs of `kind` the schedule started, in `state` (any state if empty).
std::vector<json> ScheduledJobs(ApplianceServices& s, const std::string& kind,
                                const std::string& state = "") {
  std::vector<json> out;
  for (const json& job : s.jobs->List()) {
    if (job["kind"] == kind && job["requested_by"] == MaintenanceScheduler::kActor &&
        (state.empty() || job["state"] == state)) {
      out.push_back(job);
    }
  }
  return out;
}

// Audit entries of action `action` by the schedule.
std::vector<Registry::AuditEntry> ScheduleAudit(ApplianceServices& s, const std::string& action) {
  auto entries = s.registry.ListAudit(0, Registry::kMaxAuditPage);
  REQUIRE(entries.ok());
  std::vector<Registry::AuditEntry> out;
  for (const auto& e : *entries) {
    if (e.action == action && e.actor == MaintenanceScheduler::kActor) out.push_back(e);
  }
  return out;
}

struct Fixture {
  TempDir dir;
  std::unique_ptr<ApplianceCore> core = test::MakeTestApplianceCore(dir.path());
  ApplianceServices& s = core->services();

  static std::vector<MaintenancePlan> Plans(const MaintenanceConfig& config) {
    auto plans = MaintenancePlans(config);
    INFO(plans.status().ToString());
    REQUIRE(plans.ok());
    return std::move(*plans);
  }
};

// A job that holds the runner until released (or the runner stops).
struct BlockingJob {
  std::atomic<bool> release{false};
  JobFunction fn() {
    return [this](JobContext& job) -> Result<json> {
      while (!release && !job.cancel) std::this_thread::sleep_for(milliseconds(10));
      return json::object();
    };
  }
};

TEST_CASE("MaintenancePlans: the defaults plan prune, gc and verify with the configured options",
          "[unit][maintenance]") {
  auto plans = Fixture::Plans(MaintenanceConfig{});
  REQUIRE(plans.size() == 3);
  CHECK(plans[0].kind == "prune");
  CHECK(plans[0].cron.text() == "15 * * * *");
  CHECK(plans[0].options == json::object());
  CHECK(plans[1].kind == "gc");
  CHECK(plans[1].cron.text() == "30 3 * * *");
  CHECK(plans[1].options == json{{"grace", "1h"}});
  CHECK(plans[2].kind == "verify");
  CHECK(plans[2].cron.text() == "45 4 * * 0");
  CHECK(plans[2].options == json{{"unverified_days", 30}});

  MaintenanceConfig c;
  c.prune = "";
  c.verify = "";
  c.gc_grace = std::chrono::seconds(0);
  plans = Fixture::Plans(c);
  REQUIRE(plans.size() == 1);
  CHECK(plans[0].kind == "gc");
  CHECK(plans[0].options == json{{"grace", "0s"}});

  c.gc = "0 25 * * *";  // a config built in code is checked too
  auto bad = MaintenancePlans(c);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().IsInvalidArgument());
  CHECK(bad.error().message().find("maintenance.gc") != std::string::npos);
}

TEST_CASE(
    "Maintenance schedule: prune, gc and verify start by themselves as schedule:maintenance, "
    "audited, and succeed",
    "[integration][maintenance]") {
  Fixture f;
  MaintenanceConfig c;
  c.prune = c.gc = c.verify = kEverySecond;
  MaintenanceScheduler scheduler(f.s, Fixture::Plans(c), kQuickRetry);
  scheduler.Start();
  const bool all_ran = WaitUntil([&] {
    return !ScheduledJobs(f.s, "prune", "succeeded").empty() &&
           !ScheduledJobs(f.s, "gc", "succeeded").empty() &&
           !ScheduledJobs(f.s, "verify", "succeeded").empty();
  });
  scheduler.Stop();
  INFO(f.s.jobs->List().dump(1));
  REQUIRE(all_ran);
  // Started with the options the config gives, as the API would start them.
  CHECK(ScheduledJobs(f.s, "gc", "succeeded")[0]["options"] == json{{"grace", "1h"}});
  CHECK(ScheduledJobs(f.s, "verify", "succeeded")[0]["options"] == json{{"unverified_days", 30}});
  for (const char* action : {"job.prune", "job.gc", "job.verify"}) {
    INFO(action);
    auto audited = ScheduleAudit(f.s, action);
    REQUIRE_FALSE(audited.empty());
    CHECK(audited[0].outcome == "ok");
    CHECK(json::parse(audited[0].detail_json).contains("job"));
  }
}

TEST_CASE(
    "Maintenance schedule: a kind due while another job runs starts when that job ends, not at "
    "its next fire time",
    "[integration][maintenance]") {
  Fixture f;
  BlockingJob blocker;
  auto blocking = f.s.jobs->Start("blocker", json::object(), "test", blocker.fn());
  REQUIRE(blocking.ok());

  // Fires once, two seconds from now, then not again for a day: a start
  // that waited for the next fire time instead would not come in this test.
  const std::int64_t fire = f.s.clock.NowUnixNanos() / kNanosPerSecond + 2;
  const std::int64_t of_day = fire % 86400;
  MaintenanceConfig c;
  c.prune = std::to_string(of_day % 60) + " " + std::to_string(of_day / 60 % 60) + " " +
            std::to_string(of_day / 3600) + " * * *";
  c.gc = c.verify = "";
  MaintenanceScheduler scheduler(f.s, Fixture::Plans(c), kQuickRetry);
  scheduler.Start();

  REQUIRE(WaitUntil([&] { return scheduler.Scheduled()[0]["deferred"] == true; }));
  std::this_thread::sleep_for(kQuickRetry * 3);  // several refused retries
  CHECK(ScheduledJobs(f.s, "prune").empty());
  CHECK(ScheduleAudit(f.s, "job.prune").empty());  // waiting is not a refused request

  blocker.release = true;
  f.s.jobs->WaitFor(*blocking);
  // The job can finish before the scheduler has noted its start: wait for both.
  json planned;
  const bool started = WaitUntil([&] {
    planned = scheduler.Scheduled();
    return !ScheduledJobs(f.s, "prune", "succeeded").empty() && planned[0]["deferred"] == false;
  });
  scheduler.Stop();
  INFO(f.s.jobs->List().dump(1));
  REQUIRE(started);
  CHECK(ScheduledJobs(f.s, "prune").size() == 1);  // the missed time once, not once per retry
  CHECK(planned[0]["next_unix_ns"].get<std::int64_t>() == (fire + 86400) * kNanosPerSecond);
  auto audited = ScheduleAudit(f.s, "job.prune");
  REQUIRE(audited.size() == 1);
  CHECK(audited[0].outcome == "ok");
}

TEST_CASE("Maintenance schedule: Stop returns at once while it waits for a far-off fire time",
          "[integration][maintenance]") {
  Fixture f;
  MaintenanceConfig c;
  c.prune = "0 0 1 1 *";  // New Year's, at most a year away
  c.gc = c.verify = "";
  MaintenanceScheduler scheduler(f.s, Fixture::Plans(c), kQuickRetry);
  scheduler.Start();
  std::this_thread::sleep_for(milliseconds(200));  // asleep by now
  const auto before = steady_clock::now();
  scheduler.Stop();
  CHECK(steady_clock::now() - before < milliseconds(1000));
  CHECK(f.s.jobs->List().empty());
  scheduler.Stop();  // idempotent
}

TEST_CASE("Maintenance schedule: a disabled kind never runs", "[integration][maintenance]") {
  Fixture f;
  MaintenanceConfig c;
  c.prune = kEverySecond;
  c.gc = "";
  c.verify = "";
  MaintenanceScheduler scheduler(f.s, Fixture::Plans(c), kQuickRetry);
  scheduler.Start();
  // Two prunes: the schedule has had time to start anything it would.
  const bool pruned =
      WaitUntil([&] { return ScheduledJobs(f.s, "prune", "succeeded").size() >= 2; });
  const json planned = scheduler.Scheduled();
  scheduler.Stop();
  INFO(f.s.jobs->List().dump(1));
  REQUIRE(pruned);
  for (const json& job : f.s.jobs->List()) CHECK(job["kind"] == "prune");
  REQUIRE(planned.size() == 1);
  CHECK(planned[0]["kind"] == "prune");
}

TEST_CASE("GET /v1/jobs lists each scheduled kind with its cron and next run",
          "[integration][maintenance]") {
  Fixture f;
  CHECK(json::parse(ListJobs(f.s).body)["scheduled"] == json::array());  // none while not running

  MaintenanceScheduler scheduler(f.s, Fixture::Plans(MaintenanceConfig{}));
  f.s.maintenance = &scheduler;
  const json body = json::parse(ListJobs(f.s).body);
  f.s.maintenance = nullptr;
  INFO(body.dump(1));
  REQUIRE(body["scheduled"].size() == 3);
  const std::int64_t now = f.s.clock.NowUnixNanos();
  const char* kinds[] = {"prune", "gc", "verify"};
  const char* crons[] = {"15 * * * *", "30 3 * * *", "45 4 * * 0"};
  const std::int64_t within[] = {3600, 86400, 7 * 86400};  // seconds
  for (int i = 0; i < 3; ++i) {
    const json& s = body["scheduled"][i];
    CHECK(s["kind"] == kinds[i]);
    CHECK(s["cron"] == crons[i]);
    const std::int64_t next = s["next_unix_ns"].get<std::int64_t>();
    CHECK(next > now);
    CHECK(next <= now + within[i] * kNanosPerSecond);
    CHECK(s["next"] == FormatUtc(next));
    CHECK(s["deferred"] == false);
  }
}

}  // namespace
}  // namespace cairn
