// RunLoop with a FakeClock, a scripted appliance (ScheduleSource) and a
// scripted job runner: no sockets, no sleeping.
#include <catch2/catch.hpp>
#include <deque>
#include <fstream>

#include "agent/run_command.h"
#include "core/base/log.h"
#include "tests/support/temp_dir.h"

namespace cairn {
namespace {

using json = nlohmann::json;
constexpr std::int64_t kNanos = 1'000'000'000;
constexpr std::int64_t kStart = 1'700'000'000;  // second 20 of a minute

struct FakeSource final : ScheduleSource {
  bool reachable = true;
  std::vector<json> schedules;
  int calls = 0;
  Result<std::vector<json>> Fetch() override {
    ++calls;
    if (!reachable) return Status::Unavailable("connect 127.0.0.1:1: connection refused");
    return schedules;
  }
};

struct FakeRunner final : JobRunner {
  FakeClock* clock = nullptr;
  bool appliance_up = true;
  std::int64_t job_seconds = 0;  // each job advances the clock this much
  std::vector<std::string> ran;  // names, in order
  int next_id = 0;
  Result<JobOutcome> Run(const ScheduleConfig& s) override {
    ran.push_back(s.name);
    clock->Advance(job_seconds * kNanos);
    if (!appliance_up) return Status::Unavailable("appliance unreachable");
    JobOutcome o;
    o.snapshot_id = "snap" + std::to_string(++next_id);
    o.snapshot_name = s.snapshot_name;
    return o;
  }
};

// Captures log lines for the duration of a test.
struct LogCapture {
  std::vector<std::string> lines;
  LogCapture() {
    TEST_SetLogSink([this](std::string_view l) { lines.emplace_back(l); });
  }
  ~LogCapture() { TEST_SetLogSink(nullptr); }
  int Count(const std::string& part) const {
    int n = 0;
    for (const auto& l : lines) n += l.find(part) != std::string::npos;
    return n;
  }
};

ScheduleConfig Dir(const std::string& name, const std::string& cron) {
  ScheduleConfig s;
  s.name = name;
  s.cron = cron;
  s.kind = JobKind::kDirectory;
  s.snapshot_name = name;
  s.directory.path = "/data";
  return s;
}

json Remote(const std::string& name, const std::string& cron, const std::string& kind = "directory") {
  json options = kind == "directory" ? json{{"path", "/srv"}} : json::object();
  return {{"name", name}, {"cron", cron}, {"kind", kind}, {"options", options}};
}

struct Harness {
  TempDir dir;
  FakeClock clock{kStart * kNanos};
  FakeSource source;
  FakeRunner runner;
  RunLoopOptions options;
  Harness() {
    runner.clock = &clock;
    options.state_dir = dir.path() / "state";
    options.retry = RetryPolicy{2, 8};
    options.refresh_seconds = 5;
  }
  std::unique_ptr<RunLoop> Start() {
    auto loop = std::make_unique<RunLoop>(options, clock, &source, runner);
    REQUIRE(loop->Start().ok());
    return loop;
  }
  std::int64_t Now() const { return clock.NowUnixNanos() / kNanos; }
  // Passes, advancing the fake clock to each wake time, until `until`.
  void RunUntil(RunLoop& loop, std::int64_t until) {
    for (int i = 0; i < 10000 && Now() < until; ++i) {
      const std::int64_t wake = loop.Pass([] { return false; });
      clock.Set(std::min(std::max(wake, Now() + 1), until) * kNanos);
    }
    loop.Pass([] { return false; });
  }
};

TEST_CASE("RunLoop: the appliance's schedule replaces the config's of the same name, and says so",
          "[unit]") {
  LogCapture log;
  Harness h;
  h.options.config_schedules = {Dir("data", "@daily"), Dir("etc", "@hourly")};
  h.source.schedules = {Remote("data", "*/3 * * * * *"), Remote("extra", "@weekly")};
  auto loop = h.Start();
  loop->Pass([] { return false; });
  REQUIRE(loop->schedules().size() == 3);
  CHECK(loop->schedules().at("data").cron == "*/3 * * * * *");
  CHECK(loop->schedules().at("data").origin == "appliance");
  CHECK(loop->schedules().at("data").directory.path == "/srv");
  CHECK(loop->schedules().at("etc").origin == "config");
  CHECK(log.Count("schedule.overridden name=data by=appliance") == 1);
  CHECK(log.Count("schedule.loaded") >= 3);
  // Cached for the next start.
  CHECK(std::filesystem::exists(h.options.state_dir / RunLoop::kScheduleCacheFile));
}

TEST_CASE("RunLoop: due jobs run one at a time and log started/finished", "[unit]") {
  LogCapture log;
  Harness h;
  h.options.config_schedules = {Dir("a", "*/3 * * * * *"), Dir("b", "*/3 * * * * *")};
  auto loop = h.Start();
  h.RunUntil(*loop, kStart + 1);  // both fire at +1
  CHECK(h.runner.ran == std::vector<std::string>{"a", "b"});
  CHECK(log.Count("job.started name=a") == 1);
  CHECK(log.Count("job.finished name=a kind=directory snapshot=snap1") == 1);
  CHECK(loop->tracker().Find("b")->last_snapshot == "snap2");
  // Persisted after each job.
  auto saved = ScheduleTracker::Load(DefaultFileSystem(),
                                     h.options.state_dir / RunLoop::kScheduleStateFile);
  REQUIRE(saved.ok());
  CHECK(saved->Find("a")->last_snapshot == "snap1");
}

TEST_CASE("RunLoop: while the appliance is down jobs fail and retry; when it is back exactly one "
          "catch-up runs",
          "[unit]") {
  LogCapture log;
  Harness h;
  h.source.schedules = {Remote("vol", "*/3 * * * * *")};
  auto loop = h.Start();
  h.RunUntil(*loop, kStart + 1);
  REQUIRE(h.runner.ran.size() == 1);

  // Down for 20 s: six fire times pass, retries back off 2, 4, 8, 8 s.
  h.runner.appliance_up = false;
  h.source.reachable = false;
  h.runner.ran.clear();
  h.RunUntil(*loop, kStart + 21);
  const std::size_t attempts = h.runner.ran.size();
  CHECK(attempts >= 3);
  CHECK(attempts <= 6);  // bounded by the backoff, not one per fire time
  CHECK(log.Count("job.failed name=vol") == static_cast<int>(attempts));
  CHECK(log.Count("retry_at=") == static_cast<int>(attempts));
  // The schedule is still known from the cache while the appliance is away.
  CHECK(loop->schedules().contains("vol"));
  CHECK(log.Count("schedules.fetch_failed") == 1);  // once per outage at warn

  // Back: the next retry succeeds, once, then the schedule is on time again.
  h.runner.appliance_up = true;
  h.source.reachable = true;
  h.runner.ran.clear();
  const std::int64_t back = h.Now();
  const std::int64_t retry_at = *loop->tracker().Find("vol")->next_retry;
  h.RunUntil(*loop, retry_at);
  REQUIRE(h.runner.ran.size() == 1);
  CHECK(loop->tracker().Find("vol")->failures == 0);
  CHECK(log.Count("missed=") >= 1);
  // No burst: the next run waits for the next fire time.
  h.RunUntil(*loop, retry_at + 2);
  CHECK(h.runner.ran.size() <= 2);
  CHECK(retry_at - back <= 8);
}

TEST_CASE("RunLoop: the cached appliance schedules are used when it is unreachable at start",
          "[unit]") {
  Harness h;
  h.source.schedules = {Remote("vol", "@hourly")};
  h.Start()->Pass([] { return false; });
  h.source.reachable = false;
  auto again = h.Start();
  CHECK(again->schedules().contains("vol"));  // from schedules.json, before any fetch
  again->Pass([] { return false; });
  CHECK(again->schedules().contains("vol"));
}

TEST_CASE("RunLoop: a corrupt state file is reported and the schedules still run", "[unit]") {
  LogCapture log;
  Harness h;
  h.options.config_schedules = {Dir("a", "*/3 * * * * *")};
  std::filesystem::create_directories(h.options.state_dir);
  { std::ofstream(h.options.state_dir / RunLoop::kScheduleStateFile) << "{garbage"; }
  auto loop = h.Start();
  CHECK(log.Count("schedule_state.discarded") == 1);
  h.RunUntil(*loop, kStart + 1);
  CHECK(h.runner.ran == std::vector<std::string>{"a"});
}

TEST_CASE("RunLoop: volumes mode runs only volumes schedules, the cluster agent the others",
          "[unit]") {
  LogCapture log;
  Harness h;
  h.source.schedules = {Remote("vol", "*/3 * * * * *", "volumes"),
                        Remote("res", "*/3 * * * * *", "resources")};
  h.options.kinds = {JobKind::kVolumes};
  auto loop = h.Start();
  h.RunUntil(*loop, kStart + 1);
  CHECK(h.runner.ran == std::vector<std::string>{"vol"});
  CHECK(log.Count("schedule.skipped name=res") == 1);
}

TEST_CASE("RunLoop: a stop is honoured between jobs, never inside one", "[unit]") {
  Harness h;
  h.options.config_schedules = {Dir("a", "*/3 * * * * *"), Dir("b", "*/3 * * * * *")};
  auto loop = h.Start();
  h.clock.Set((kStart + 1) * kNanos);
  int asked = 0;
  loop->Pass([&] { return ++asked > 1; });  // stop requested once "a" has run
  CHECK(h.runner.ran == std::vector<std::string>{"a"});
  // Run() returns when the wait reports a stop, after finishing the pass.
  int waits = 0;
  loop->Run([&](std::chrono::milliseconds d) {
    if (d.count() > 0) h.clock.Advance(std::chrono::nanoseconds(d).count());
    return ++waits >= 6;
  });
  CHECK(waits == 6);
}

}  // namespace
}  // namespace cairn
