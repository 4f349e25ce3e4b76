#include "agent/schedule/schedule_tracker.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace cairn {
namespace {

using json = nlohmann::json;

constexpr int kStateVersion = 1;

// Reads an optional integer member; false when present with another type.
bool OptionalInt(const json& j, const char* key, std::optional<std::int64_t>* out) {
  if (!j.contains(key)) return true;
  if (!j[key].is_number_integer()) return false;
  *out = j[key].get<std::int64_t>();
  return true;
}

Result<ScheduleRunState> StateFromJson(const json& j) {
  ScheduleRunState s;
  std::optional<std::int64_t> since, failures;
  if (!j.is_object() || !OptionalInt(j, "since", &since) || !since ||
      !OptionalInt(j, "last_success", &s.last_success) ||
      !OptionalInt(j, "last_attempt", &s.last_attempt) ||
      !OptionalInt(j, "next_retry", &s.next_retry) || !OptionalInt(j, "failures", &failures)) {
    return Status::Corruption("a schedule entry has a missing or mistyped time");
  }
  s.since = *since;
  s.failures = static_cast<int>(std::clamp<std::int64_t>(failures.value_or(0), 0, 1 << 20));
  for (auto [key, field] : {std::pair{"cron", &s.cron}, std::pair{"last_error", &s.last_error},
                            std::pair{"last_snapshot", &s.last_snapshot}}) {
    if (!j.contains(key)) continue;
    if (!j[key].is_string()) return Status::Corruption(std::string(key) + " is not a string");
    *field = j[key].get<std::string>();
  }
  return s;
}

json StateToJson(const ScheduleRunState& s) {
  json j{{"cron", s.cron}, {"since", s.since}, {"failures", s.failures}};
  if (s.last_success) j["last_success"] = *s.last_success;
  if (s.last_attempt) j["last_attempt"] = *s.last_attempt;
  if (s.next_retry) j["next_retry"] = *s.next_retry;
  if (!s.last_error.empty()) j["last_error"] = s.last_error;
  if (!s.last_snapshot.empty()) j["last_snapshot"] = s.last_snapshot;
  return j;
}

}  // namespace

std::int64_t RetryPolicy::DelayAfter(int failures) const {
  const std::int64_t initial = std::max<std::int64_t>(1, initial_seconds);
  const std::int64_t cap = std::max(initial, max_seconds);
  std::int64_t d = initial;
  for (int i = 1; i < failures && d < cap; ++i) d *= 2;
  return std::min(d, cap);
}

Result<ScheduleTracker> ScheduleTracker::Load(FileSystem& fs, const std::filesystem::path& file,
                                              RetryPolicy policy) {
  ScheduleTracker t(file, policy);
  CAIRN_ASSIGN_OR_RETURN(bool exists, fs.Exists(file));
  if (!exists) return t;
  CAIRN_ASSIGN_OR_RETURN(Bytes raw, ReadWholeFile(fs, file, kMaxStateFileBytes));
  const std::string where = "schedule state " + file.string() + ": ";
  const json j = json::parse(raw.begin(), raw.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Corruption(where + "not a JSON object");
  }
  if (!j.contains("version") || j["version"] != kStateVersion) {
    return Status::Corruption(where + "unknown version (this agent writes version " +
                              std::to_string(kStateVersion) + ")");
  }
  if (!j.contains("schedules") || !j["schedules"].is_object()) {
    return Status::Corruption(where + "no \"schedules\" object");
  }
  for (const auto& [name, entry] : j["schedules"].items()) {
    auto s = StateFromJson(entry);
    if (!s.ok()) return Status::Corruption(where + "schedule \"" + name + "\": " + s.error().message());
    t.states_.emplace(name, std::move(*s));
  }
  return t;
}

Result<ScheduleTracker> ScheduleTracker::LoadOrFresh(FileSystem& fs,
                                                     const std::filesystem::path& file,
                                                     RetryPolicy policy, Status* discarded) {
  if (discarded != nullptr) *discarded = Status::Ok();
  auto loaded = Load(fs, file, policy);
  if (loaded.ok() || !loaded.error().IsCorruption()) return loaded;
  std::filesystem::path aside = file;
  aside += ".corrupt";
  Status moved = fs.Rename(file, aside);
  Status why = loaded.error().WithContext(
      moved.ok() ? "moved aside to " + aside.string() + ", starting with no run history"
                 : "could not move it aside (" + moved.message() + "); starting with no run history");
  if (discarded != nullptr) *discarded = why;
  return ScheduleTracker(file, policy);
}

Status ScheduleTracker::Save(FileSystem& fs) const {
  json schedules = json::object();
  for (const auto& [name, s] : states_) schedules[name] = StateToJson(s);
  const std::string text =
      json{{"version", kStateVersion}, {"schedules", schedules}}.dump(
          1, ' ', false, json::error_handler_t::replace) +
      "\n";
  return WriteFileAtomically(fs, file_, AsBytes(text)).WithContext("save " + file_.string());
}

void ScheduleTracker::Sync(const std::map<std::string, std::string>& schedules, std::int64_t now) {
  for (auto it = states_.begin(); it != states_.end();) {
    it = schedules.contains(it->first) ? std::next(it) : states_.erase(it);
  }
  for (const auto& [name, cron] : schedules) {
    auto [it, added] = states_.try_emplace(name);
    if (added) it->second.since = now;
    it->second.cron = cron;
  }
}

DueCheck ScheduleTracker::CheckDue(const std::string& name, const CronExpression& cron,
                                   std::int64_t now) const {
  DueCheck d;
  const ScheduleRunState* s = Find(name);
  if (s == nullptr) return d;  // not synced: owes nothing
  const std::int64_t baseline = s->last_success.value_or(s->since);
  auto first = cron.Next(baseline);
  if (!first.ok()) {
    d.wake = now + 3600;  // cannot happen for a parsed expression; look again later
    return d;
  }
  if (*first > now) {
    d.wake = *first;
    return d;
  }
  d.retry = s->failures > 0;
  if (s->next_retry && now < *s->next_retry) {
    d.wake = *s->next_retry;
    return d;
  }
  d.due = true;
  std::int64_t t = *first;
  d.fire = t;
  d.missed = 1;
  while (d.missed < kMaxMissedCount) {
    auto next = cron.Next(t);
    if (!next.ok() || *next > now) break;
    t = *next;
    d.fire = t;
    ++d.missed;
  }
  return d;
}

void ScheduleTracker::RecordSuccess(const std::string& name, std::int64_t started,
                                    std::string snapshot_id) {
  ScheduleRunState& s = states_[name];
  s.last_success = started;
  s.last_attempt = started;
  s.failures = 0;
  s.next_retry.reset();
  s.last_error.clear();
  s.last_snapshot = std::move(snapshot_id);
}

std::int64_t ScheduleTracker::RecordFailure(const std::string& name, std::int64_t started,
                                            std::int64_t failed_at, std::string error) {
  ScheduleRunState& s = states_[name];
  s.last_attempt = started;
  s.failures = std::min(s.failures + 1, 1 << 20);
  s.last_error = std::move(error);
  if (s.last_error.size() > 1024) s.last_error.resize(1024);
  s.next_retry = std::max(started, failed_at) + policy_.DelayAfter(s.failures);
  return *s.next_retry;
}

const ScheduleRunState* ScheduleTracker::Find(const std::string& name) const {
  auto it = states_.find(name);
  return it == states_.end() ? nullptr : &it->second;
}

}  // namespace cairn
