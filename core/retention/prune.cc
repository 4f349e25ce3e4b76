#include "core/retention/prune.h"

#include <map>
#include <tuple>

#include "core/retention/retention_policies.h"

namespace cairn {

Result<PruneReport> RunPrune(Store& store, const WithCatalogFn& with_catalog,
                             const PruneOptions& options, std::int64_t now_unix_ns,
                             JobProgress* progress, const std::atomic<bool>* cancel) {
  if (!options.dry_run) {
    CAIRN_RETURN_IF_ERROR(FinishInterruptedDeletions(store, with_catalog).status());
  }
  using SetKey = std::tuple<std::string, std::string, std::string>;  // cluster, schedule, name
  std::map<SetKey, std::vector<SnapshotRecord>> sets;
  std::map<SetKey, std::optional<StoredRetentionPolicy>> policies;
  CAIRN_RETURN_IF_ERROR(with_catalog([&](Catalog& c) -> Status {
    CAIRN_ASSIGN_OR_RETURN(auto all, c.ListSnapshots(std::nullopt, options.cluster));
    RetentionPolicies table(c.db());
    for (SnapshotRecord& s : all) {
      SetKey key{s.cluster, ScheduleOfTags(s.tags), s.name};
      if (!policies.contains(key)) {
        CAIRN_ASSIGN_OR_RETURN(policies[key],
                               table.Governing(std::get<0>(key), std::get<1>(key)));
      }
      sets[key].push_back(std::move(s));
    }
    return Status::Ok();
  }));

  PruneReport report;
  for (auto& [key, snapshots] : sets) {
    PrunedSet set{std::get<0>(key), std::get<1>(key), std::get<2>(key), "", {}};
    const auto& governing = policies[key];
    if (!governing) {
      for (SnapshotRecord& s : snapshots) {
        set.decisions.push_back({std::move(s), true, {"no retention policy"}});
      }
    } else {
      set.policy = governing->policy.Describe();
      set.decisions = PlanRetention(std::move(snapshots), governing->policy, now_unix_ns);
    }
    for (const RetentionDecision& d : set.decisions) {
      if (progress) progress->Add(progress->entries, 1);
      if (d.keep) {
        ++report.kept;
        continue;
      }
      ++report.would_delete;
      if (options.dry_run) continue;
      if (cancel && cancel->load()) return Status::Cancelled("prune cancelled (shutdown)");
      Status st = DeleteSnapshot(store, with_catalog, d.snapshot, now_unix_ns);
      if (st.ok()) {
        ++report.deleted;
        report.bytes_released += d.snapshot.bytes_new;
        if (progress) progress->Add(progress->chunks_done, 1);
      } else {
        report.errors.push_back(d.snapshot.id + ": " + st.message());
        if (progress) progress->Add(progress->problems, 1);
      }
    }
    report.sets.push_back(std::move(set));
  }
  return report;
}

nlohmann::json PruneReportToJson(const PruneReport& report) {
  nlohmann::json sets = nlohmann::json::array();
  for (const PrunedSet& set : report.sets) {
    nlohmann::json decisions = nlohmann::json::array();
    for (const RetentionDecision& d : set.decisions) {
      decisions.push_back({{"id", d.snapshot.id},
                           {"created_unix_ns", d.snapshot.created_unix_ns},
                           {"keep", d.keep},
                           {"reasons", d.reasons},
                           {"lock_until_unix_ns", d.snapshot.lock_until_unix_ns}});
    }
    sets.push_back({{"cluster", set.cluster},
                    {"schedule", set.schedule},
                    {"name", set.name},
                    {"policy", set.policy},
                    {"snapshots", decisions}});
  }
  return {{"sets", sets},
          {"kept", report.kept},
          {"deleted", report.deleted},
          {"would_delete", report.would_delete},
          {"bytes_released", report.bytes_released},
          {"errors", report.errors}};
}

}  // namespace cairn
