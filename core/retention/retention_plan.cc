#include "core/retention/retention_plan.h"

#include <algorithm>
#include <ctime>
#include <functional>

#include "core/base/duration.h"
#include "core/base/utc_time.h"

namespace cairn {
namespace {

// The period a snapshot falls in for a rule, as text that is also its label.
std::string Period(std::int64_t unix_ns, const char* format) {
  std::int64_t secs = unix_ns / kNanosPerSecond;
  if (unix_ns % kNanosPerSecond < 0) --secs;
  const std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  char buf[32] = "";
  if (gmtime_r(&t, &tm) == nullptr || std::strftime(buf, sizeof buf, format, &tm) == 0) {
    return "?";
  }
  return buf;
}

struct PeriodRule {
  const char* name;
  int count;
  const char* format;  // strftime: %G-W%V is the ISO 8601 week
};

}  // namespace

std::vector<RetentionDecision> PlanRetention(std::vector<SnapshotRecord> group,
                                             const RetentionPolicy& policy,
                                             std::int64_t now_unix_ns) {
  std::sort(group.begin(), group.end(), [](const SnapshotRecord& a, const SnapshotRecord& b) {
    return a.created_unix_ns != b.created_unix_ns ? a.created_unix_ns > b.created_unix_ns
                                                  : a.id > b.id;
  });
  std::vector<RetentionDecision> plan;
  plan.reserve(group.size());
  for (SnapshotRecord& s : group) plan.push_back({std::move(s), false, {}});

  for (std::size_t i = 0; i < plan.size() && i < static_cast<std::size_t>(policy.keep_last); ++i) {
    plan[i].reasons.push_back("last " + std::to_string(i + 1));
  }
  const PeriodRule rules[] = {{"hourly", policy.keep_hourly, "%Y-%m-%d %H:00"},
                              {"daily", policy.keep_daily, "%Y-%m-%d"},
                              {"weekly", policy.keep_weekly, "%G-W%V"},
                              {"monthly", policy.keep_monthly, "%Y-%m"},
                              {"yearly", policy.keep_yearly, "%Y"}};
  for (const PeriodRule& rule : rules) {
    int left = rule.count;
    std::string last_period;
    for (RetentionDecision& d : plan) {
      if (left == 0) break;
      std::string period = Period(d.snapshot.created_unix_ns, rule.format);
      if (period == last_period) continue;  // an older snapshot of a period already kept
      last_period = period;
      d.reasons.push_back(std::string(rule.name) + " " + period);
      --left;
    }
  }
  for (RetentionDecision& d : plan) {
    if (d.snapshot.lock_until_unix_ns > now_unix_ns) {
      d.reasons.push_back("locked until " + FormatUtc(d.snapshot.lock_until_unix_ns));
    }
    if (policy.min_age_ns > 0 && now_unix_ns - d.snapshot.created_unix_ns < policy.min_age_ns) {
      d.reasons.push_back("younger than min age " +
                          FormatDuration(std::chrono::seconds(policy.min_age_ns / kNanosPerSecond)));
    }
    d.keep = !d.reasons.empty();
    if (!d.keep) d.reasons.push_back("no rule keeps it");
  }
  return plan;
}

}  // namespace cairn
