// RetentionPolicies: the retention_policies table (catalog schema v5) --
// one policy per cluster ('' = local-mode snapshots) and optionally per
// schedule. A snapshot made by a schedule carries the tag "schedule=<name>"
// (agent/scheduled_jobs.cc); it is governed by its (cluster, schedule)
// policy if there is one, else by its cluster's default (schedule ''), else
// by none (kept).
// Thread-safety: the catalog's (one thread at a time on its connection).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/catalog/sqlite_db.h"
#include "core/retention/retention_policy.h"

namespace cairn {

struct StoredRetentionPolicy {
  std::string cluster;
  std::string schedule;  // "" = the cluster's default
  RetentionPolicy policy;
  std::int64_t updated_unix_ns = 0;
  std::string updated_by;
};

// "nightly" for a snapshot tagged "schedule=nightly"; "" without such a tag.
std::string ScheduleOfTags(const std::vector<std::string>& tags);

class RetentionPolicies {
 public:
  explicit RetentionPolicies(SqliteDb& db) : db_(db) {}

  // Creates or replaces.
  Status Set(const StoredRetentionPolicy& p);
  // NotFound when there is no such policy.
  Status Remove(const std::string& cluster, const std::string& schedule);
  // All policies (of `cluster` if given), by cluster then schedule.
  Result<std::vector<StoredRetentionPolicy>> List(
      const std::optional<std::string>& cluster = std::nullopt);
  // The policy governing snapshots of `cluster` made by `schedule` ("" for
  // none): the schedule's own, else the cluster default, else nullopt.
  Result<std::optional<StoredRetentionPolicy>> Governing(const std::string& cluster,
                                                         const std::string& schedule);

 private:
  SqliteDb& db_;
};

}  // namespace cairn
