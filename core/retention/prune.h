// Prune: applies the retention policies to every backup set and deletes
// what no rule keeps (core/retention/snapshot_deleter.h), or, as a preview,
// only says what would go and why. Runs on the appliance (a job) or on a
// local store (cairnctl); agents never prune.
//
// A backup set is the snapshots of one cluster, schedule and name; its
// policy is RetentionPolicies::Governing(cluster, schedule). Sets without a
// policy are kept whole. A locked snapshot is never deleted, whatever the
// policy; a snapshot whose deletion fails is reported and the prune goes on.
//
// Thread-safety: as snapshot_deleter (catalog through `with_catalog`).
#pragma once

#include <atomic>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/engine/progress.h"
#include "core/retention/retention_plan.h"
#include "core/retention/snapshot_deleter.h"

namespace cairn {

struct PruneOptions {
  bool dry_run = false;                // preview: decide, delete nothing
  std::optional<std::string> cluster;  // only this cluster's sets
};

struct PrunedSet {
  std::string cluster, schedule, name;
  std::string policy;  // RetentionPolicy::Describe(), "" when none governs
  std::vector<RetentionDecision> decisions;  // newest first
};

struct PruneReport {
  std::vector<PrunedSet> sets;
  std::uint64_t kept = 0;
  std::uint64_t deleted = 0;    // deleted now (0 in a preview)
  std::uint64_t would_delete = 0;  // no rule keeps them (preview and real run)
  std::uint64_t bytes_released = 0;  // sum of bytes_new of the snapshots deleted (approximate:
                                     // garbage collection frees the chunks no one else uses)
  std::vector<std::string> errors;   // "id: what went wrong" for deletions that failed
};

Result<PruneReport> RunPrune(Store& store, const WithCatalogFn& with_catalog,
                             const PruneOptions& options, std::int64_t now_unix_ns,
                             JobProgress* progress = nullptr,
                             const std::atomic<bool>* cancel = nullptr);

nlohmann::json PruneReportToJson(const PruneReport& report);

}  // namespace cairn
