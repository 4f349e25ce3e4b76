#include "agent/schedule/schedule_tracker.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "core/base/clock.h"
#include "tests/support/temp_dir.h"

namespace cairn {
namespace {

constexpr std::int64_t kNanos = 1'000'000'000;
// 2023-11-14T22:13:20Z, a whole second.
constexpr std::int64_t kStart = 1'700'000'000;

std::int64_t Now(const FakeClock& clock) { return clock.NowUnixNanos() / kNanos; }

CronExpression Cron(const std::string& text) {
  auto c = CronExpression::Parse(text);
  REQUIRE(c.ok());
  return *c;
}

TEST_CASE("ScheduleTracker: a new schedule owes nothing until its first fire time", "[unit]") {
  FakeClock clock(kStart * kNanos);
  ScheduleTracker t("unused.json");
  const CronExpression every_minute = Cron("* * * * *");
  t.Sync({{"web", "* * * * *"}}, Now(clock));
  DueCheck d = t.CheckDue("web", every_minute, Now(clock));
  CHECK_FALSE(d.due);
  CHECK(d.wake == 1'700'000'040);  // next whole minute
  clock.Set(d.wake * kNanos);
  d = t.CheckDue("web", every_minute, Now(clock));
  CHECK(d.due);
  CHECK(d.missed == 1);
  CHECK(d.fire == 1'700'000'040);
  CHECK_FALSE(d.retry);
  t.RecordSuccess("web", Now(clock), "snap1");
  d = t.CheckDue("web", every_minute, Now(clock));
  CHECK_FALSE(d.due);
  CHECK(d.wake == 1'700'000'100);
  // An unknown name owes nothing.
  CHECK_FALSE(t.CheckDue("other", every_minute, Now(clock)).due);
}

TEST_CASE("ScheduleTracker: many missed fire times coalesce into one catch-up run", "[unit]") {
  FakeClock clock(kStart * kNanos);
  ScheduleTracker t("unused.json");
  const CronExpression every_3s = Cron("*/3 * * * * *");
  t.Sync({{"vol", "*/3 * * * * *"}}, Now(clock));
  clock.Advance(31 * kNanos);  // fire times at +1, +4, ... +31: 11 of them
  DueCheck d = t.CheckDue("vol", every_3s, Now(clock));
  REQUIRE(d.due);
  CHECK(d.missed == 11);
  CHECK(d.fire == kStart + 31);
  t.RecordSuccess("vol", Now(clock), "s");
  // One run settled all of them: nothing is owed until the next fire time.
  d = t.CheckDue("vol", every_3s, Now(clock));
  CHECK_FALSE(d.due);
  CHECK(d.wake == kStart + 34);
  clock.Advance(2 * kNanos);
  CHECK_FALSE(t.CheckDue("vol", every_3s, Now(clock)).due);
  clock.Advance(1 * kNanos);
  d = t.CheckDue("vol", every_3s, Now(clock));
  CHECK(d.due);
  CHECK(d.missed == 1);
}

TEST_CASE("ScheduleTracker: a fire time passed during a run is owed once more", "[unit]") {
  FakeClock clock(kStart * kNanos);
  ScheduleTracker t("unused.json");
  const CronExpression every_3s = Cron("*/3 * * * * *");
  t.Sync({{"vol", ""}}, Now(clock));
  clock.Advance(1 * kNanos);
  REQUIRE(t.CheckDue("vol", every_3s, Now(clock)).due);
  const std::int64_t started = Now(clock);
  clock.Advance(10 * kNanos);  // the run takes 10 s: three fire times pass
  t.RecordSuccess("vol", started, "s");
  DueCheck d = t.CheckDue("vol", every_3s, Now(clock));
  CHECK(d.due);
  CHECK(d.missed == 3);
}

TEST_CASE("ScheduleTracker: a failed run is retried with a doubling, bounded backoff until it "
          "succeeds",
          "[unit]") {
  FakeClock clock(kStart * kNanos);
  ScheduleTracker t("unused.json", RetryPolicy{15, 300});
  const CronExpression hourly = Cron("@hourly");
  t.Sync({{"res", "@hourly"}}, Now(clock));
  clock.Set(*hourly.Next(kStart) * kNanos);
  std::vector<std::int64_t> delays;
  for (int i = 0; i < 8; ++i) {
    DueCheck d = t.CheckDue("res", hourly, Now(clock));
    REQUIRE(d.due);
    CHECK(d.retry == (i > 0));
    const std::int64_t retry_at = t.RecordFailure("res", Now(clock), Now(clock), "unreachable");
    delays.push_back(retry_at - Now(clock));
    // Not due during the backoff, and it says when to look again.
    clock.Advance((delays.back() - 1) * kNanos);
    d = t.CheckDue("res", hourly, Now(clock));
    CHECK_FALSE(d.due);
    CHECK(d.wake == retry_at);
    clock.Advance(1 * kNanos);
  }
  CHECK(delays == std::vector<std::int64_t>{15, 30, 60, 120, 240, 300, 300, 300});
  const ScheduleRunState* s = t.Find("res");
  REQUIRE(s != nullptr);
  CHECK(s->failures == 8);
  CHECK(s->last_error == "unreachable");
  CHECK_FALSE(s->last_success.has_value());
  // The appliance is back: the retry runs and the schedule is settled.
  DueCheck d = t.CheckDue("res", hourly, Now(clock));
  REQUIRE(d.due);
  CHECK(d.missed >= 1);
  t.RecordSuccess("res", Now(clock), "snap");
  CHECK(t.Find("res")->failures == 0);
  CHECK_FALSE(t.Find("res")->next_retry.has_value());
  CHECK_FALSE(t.CheckDue("res", hourly, Now(clock)).due);
  // The backoff runs from the failure, not from the start of a long run.
  t.Sync({{"res", "@hourly"}}, Now(clock));
  clock.Set(*hourly.Next(Now(clock)) * kNanos);
  CHECK(t.RecordFailure("res", Now(clock), Now(clock) + 100, "slow") == Now(clock) + 115);
}

TEST_CASE("ScheduleTracker: Sync keeps history, adds new names and forgets removed ones",
          "[unit]") {
  ScheduleTracker t("unused.json");
  t.Sync({{"a", "@hourly"}, {"b", "@daily"}}, 100);
  t.RecordSuccess("a", 200, "s1");
  t.Sync({{"a", "@daily"}, {"c", "@hourly"}}, 300);
  REQUIRE(t.Find("a") != nullptr);
  CHECK(t.Find("a")->last_success == 200);
  CHECK(t.Find("a")->since == 100);
  CHECK(t.Find("a")->cron == "@daily");
  CHECK(t.Find("b") == nullptr);
  REQUIRE(t.Find("c") != nullptr);
  CHECK(t.Find("c")->since == 300);
}

TEST_CASE("ScheduleTracker: state survives a save and a load exactly", "[unit]") {
  TempDir dir;
  const auto file = dir.path() / "schedule-state.json";
  ScheduleTracker t(file);
  t.Sync({{"a", "*/3 * * * * *"}, {"b", "@daily"}}, kStart);
  t.RecordSuccess("a", kStart + 3, "0123456789abcdef");
  t.RecordFailure("b", kStart + 5, kStart + 6, "appliance unreachable: connection refused");
  REQUIRE(t.Save(DefaultFileSystem()).ok());
  auto loaded = ScheduleTracker::Load(DefaultFileSystem(), file);
  INFO(loaded.status().ToString());
  REQUIRE(loaded.ok());
  CHECK(loaded->states() == t.states());
  CHECK(loaded->Find("b")->next_retry == kStart + 6 + 15);
  // No file yet is an empty tracker, not an error.
  auto none = ScheduleTracker::Load(DefaultFileSystem(), dir.path() / "absent.json");
  REQUIRE(none.ok());
  CHECK(none->states().empty());
}

TEST_CASE("ScheduleTracker: a corrupt state file is a clear error, and a fresh start keeps the "
          "schedule",
          "[unit]") {
  TempDir dir;
  const auto file = dir.path() / "schedule-state.json";
  for (const char* bad : {"{not json", "[]", "{\"version\":9,\"schedules\":{}}",
                          "{\"version\":1,\"schedules\":{\"a\":{\"since\":\"x\"}}}",
                          "{\"version\":1}"}) {
    INFO(bad);
    { std::ofstream(file) << bad; }
    auto loaded = ScheduleTracker::Load(DefaultFileSystem(), file);
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.error().IsCorruption());
    CHECK(loaded.error().message().find(file.string()) != std::string::npos);

    Status discarded;
    auto fresh = ScheduleTracker::LoadOrFresh(DefaultFileSystem(), file, RetryPolicy{},
                                              &discarded);
    REQUIRE(fresh.ok());
    CHECK(discarded.IsCorruption());
    CHECK(discarded.message().find("moved aside") != std::string::npos);
    CHECK(std::filesystem::exists(file.string() + ".corrupt"));
    CHECK_FALSE(std::filesystem::exists(file));
    // The schedule (from config or appliance) is synced in and fires as usual.
    fresh->Sync({{"a", "*/3 * * * * *"}}, kStart);
    const CronExpression c = Cron("*/3 * * * * *");
    CHECK(fresh->CheckDue("a", c, kStart + 1).due);
    fresh->RecordSuccess("a", kStart + 1, "s");
    REQUIRE(fresh->Save(DefaultFileSystem()).ok());
    REQUIRE(ScheduleTracker::Load(DefaultFileSystem(), file).ok());
  }
  Status discarded = Status::IoError("stale");
  REQUIRE(ScheduleTracker::LoadOrFresh(DefaultFileSystem(), file, {}, &discarded).ok());
  CHECK(discarded.ok());
}

}  // namespace
}  // namespace cairn
