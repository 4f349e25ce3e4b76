// ScheduleTracker: which scheduled runs are owed, kept across restarts.
//
// Per schedule (by name) it remembers when the last successful run started,
// the last attempt, and the failures since. The rules:
//
//  - A schedule first seen at time T owes nothing before T: it runs at its
//    first fire time after T (a new daily schedule does not run at once).
//  - A run is due when a fire time lies in (baseline, now], baseline being
//    the start of the last successful run (or T). However many fire times
//    were missed -- the agent was stopped, the appliance unreachable, a run
//    outlasted the period -- they coalesce into ONE catch-up run; the figure
//    is reported (`missed`), never replayed as a burst.
//  - A failed run stays owed and is retried after a backoff that doubles
//    from RetryPolicy::initial_seconds up to max_seconds (15 s .. 5 min by
//    default), until one succeeds. So a run missed while the appliance was
//    unreachable runs soon after it is back.
//  - Success is recorded with the attempt's START time: a fire time that
//    passed while the run was going is owed again (the data it captured is
//    older than that fire time).
//
// Times are Unix seconds, UTC, from the caller (which reads a Clock), so
// tests drive it with a FakeClock and no sleeping.
//
// Persistence: `schedule-state.json` in the agent's state directory, written
// atomically (temp file, fsync, rename) after every change:
//   {"version":1,"schedules":{"<name>":{"cron":..,"since":..,
//    "last_success":..,"last_attempt":..,"failures":..,"next_retry":..,
//    "last_error":..,"last_snapshot":..}}}
// Absent times are omitted. A file that does not parse is refused as
// Corruption naming the file; LoadOrFresh moves it aside and starts empty,
// which loses only the run history: the schedules themselves come from the
// agent's config and the appliance, and are re-added by Sync.
//
// Thread-safety: a plain value; one thread (the run loop) owns it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/schedule/cron_expression.h"
#include "core/base/file_system.h"
#include "core/base/status.h"

namespace cairn {

struct RetryPolicy {
  std::int64_t initial_seconds = 15;
  std::int64_t max_seconds = 300;

  // The wait after the n-th consecutive failure (n >= 1).
  std::int64_t DelayAfter(int failures) const;
};

struct ScheduleRunState {
  std::string cron;         // the expression last synced (for people reading the file)
  std::int64_t since = 0;   // first seen: nothing before it is owed
  std::optional<std::int64_t> last_success;  // start of the last successful run
  std::optional<std::int64_t> last_attempt;  // start of the last run, either outcome
  int failures = 0;                          // consecutive, since the last success
  std::optional<std::int64_t> next_retry;    // set while failures > 0
  std::string last_error;
  std::string last_snapshot;

  friend bool operator==(const ScheduleRunState&, const ScheduleRunState&) = default;
};

// What CheckDue decided for one schedule at `now`.
struct DueCheck {
  bool due = false;
  std::int64_t fire = 0;  // the newest owed fire time (0 when none is owed)
  int missed = 0;         // owed fire times coalesced into this run (capped at kMaxMissedCount)
  bool retry = false;     // owed after a failure
  // When to look again: the next fire time, or the retry time while a
  // failed run waits out its backoff. Meaningful when !due.
  std::int64_t wake = 0;
};

class ScheduleTracker {
 public:
  static constexpr int kMaxMissedCount = 10000;
  static constexpr std::uint64_t kMaxStateFileBytes = 4u << 20;

  explicit ScheduleTracker(std::filesystem::path file, RetryPolicy policy = {})
      : file_(std::move(file)), policy_(policy) {}

  // A missing file is an empty tracker; a malformed one is Corruption.
  static Result<ScheduleTracker> Load(FileSystem& fs, const std::filesystem::path& file,
                                      RetryPolicy policy = {});
  // Load, but a malformed file is renamed to "<file>.corrupt" and an empty
  // tracker returned; *discarded (if given) then holds the reason, else Ok.
  // Any other read error is returned.
  static Result<ScheduleTracker> LoadOrFresh(FileSystem& fs, const std::filesystem::path& file,
                                             RetryPolicy policy, Status* discarded);

  Status Save(FileSystem& fs) const;

  // Makes the tracked set exactly `schedules` (name -> cron text): new names
  // start with since = now, known ones keep their history (also if their
  // cron changed), names no longer scheduled are forgotten.
  void Sync(const std::map<std::string, std::string>& schedules, std::int64_t now);

  // Whether `name` (which must have been Synced) owes a run at `now`.
  DueCheck CheckDue(const std::string& name, const CronExpression& cron, std::int64_t now) const;

  void RecordSuccess(const std::string& name, std::int64_t started, std::string snapshot_id);
  // The backoff runs from `failed_at` (a run may fail late). Returns the
  // time of the next retry.
  std::int64_t RecordFailure(const std::string& name, std::int64_t started,
                             std::int64_t failed_at, std::string error);

  const ScheduleRunState* Find(const std::string& name) const;
  const std::map<std::string, ScheduleRunState>& states() const { return states_; }
  const std::filesystem::path& file() const { return file_; }
  const RetryPolicy& policy() const { return policy_; }

 private:
  std::filesystem::path file_;
  RetryPolicy policy_;
  std::map<std::string, ScheduleRunState> states_;
};

}  // namespace cairn
