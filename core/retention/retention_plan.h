// PlanRetention: applies a RetentionPolicy to one backup set (the snapshots
// of one cluster and name) and says, for every snapshot, whether it stays
// and why -- the answer `cairnctl retention preview` prints and prune acts
// on.
//
// Rules, as in restic's `forget`: snapshots are taken newest first; keep_last
// keeps the first N; each period rule (hourly, daily, weekly -- ISO weeks --,
// monthly, yearly; UTC) keeps the newest snapshot of each of the N most
// recent periods that have one. Then, whatever the rules say, a snapshot
// younger than min_age stays, and a locked one stays until its lock ends.
// Thread-safety: pure function.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/catalog/catalog.h"
#include "core/retention/retention_policy.h"

namespace cairn {

struct RetentionDecision {
  SnapshotRecord snapshot;
  bool keep = false;
  // Every reason it stays ("last 1", "daily 2026-11-23", "locked until
  // 2027-01-01T00:00:00Z", "younger than min age 1d"); for one that goes,
  // a single "no rule keeps it".
  std::vector<std::string> reasons;
};

// `group`: one backup set, in any order. Result: newest first.
std::vector<RetentionDecision> PlanRetention(std::vector<SnapshotRecord> group,
                                             const RetentionPolicy& policy,
                                             std::int64_t now_unix_ns);

}  // namespace cairn
