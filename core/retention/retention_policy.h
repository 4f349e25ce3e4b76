// RetentionPolicy: which snapshots of a backup set to keep, as restic's and
// Proxmox Backup Server's keep-* rules: the newest `keep_last`, and the
// newest snapshot in each of the last `keep_hourly` hours, `keep_daily` days,
// `keep_weekly` ISO weeks, `keep_monthly` months and `keep_yearly` years that
// have one (UTC). A snapshot kept by no rule may be pruned -- unless it is
// younger than `min_age` or locked.
//
// `lock_for` is the retention lock (WORM) new snapshots get when they are
// committed: created + lock_for, written into the manifest. 0: no lock.
//
// Stored as a JSON object (docs/formats.md, "Retention policy"):
//   {"keep_last": 7, "keep_daily": 14, "keep_weekly": 8, "keep_monthly": 12,
//    "keep_yearly": 3, "min_age": "24h", "lock_for": "30d"}
// Durations are core/base/duration.h's ("24h", "30d", "1d12h").
// Thread-safety: plain value type.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/base/status.h"

namespace cairn {

struct RetentionPolicy {
  static constexpr int kMaxKeep = 100'000;
  int keep_last = 0;
  int keep_hourly = 0;
  int keep_daily = 0;
  int keep_weekly = 0;
  int keep_monthly = 0;
  int keep_yearly = 0;
  std::int64_t min_age_ns = 0;
  std::int64_t lock_for_ns = 0;

  // True when at least one rule keeps something: a policy without any keep
  // rule would prune every unlocked snapshot older than min_age, which is
  // refused as a policy (delete snapshots one by one instead).
  bool KeepsSomething() const;
  nlohmann::json ToJson() const;
  // Unknown keys, negative or oversized counts, bad durations and a policy
  // that keeps nothing are InvalidArgument, saying which field and why.
  static Result<RetentionPolicy> FromJson(const nlohmann::json& j);
  // "last 7, daily 14, weekly 8, min age 1d, lock 30d" for listings.
  std::string Describe() const;

  friend bool operator==(const RetentionPolicy&, const RetentionPolicy&) = default;
};

}  // namespace cairn
