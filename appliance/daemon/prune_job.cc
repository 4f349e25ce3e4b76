// The "prune" job: RunPrune (core/retention/prune.h) on the appliance's
// store, catalog use serialized with the request handlers. Options:
// {"dry_run": bool, "cluster": "name"}. Deleting needs write-config (admin):
// retention is configuration, and an operator token must not be able to
// empty the store by setting a policy and pruning.
#include "appliance/daemon/maintenance_jobs.h"
#include "appliance/daemon/services.h"
#include "core/retention/prune.h"

namespace cairn {

JobKind PruneJobKind() {
  JobKind kind;
  kind.permission = Permission::kWriteConfig;
  kind.description = "apply the retention policies: delete what no rule keeps";
  kind.make = [](const nlohmann::json& options, ApplianceServices& s) -> Result<JobFunction> {
    PruneOptions prune;
    for (const auto& [key, value] : options.items()) {
      if (key == "dry_run" && value.is_boolean()) {
        prune.dry_run = value.get<bool>();
      } else if (key == "cluster" && value.is_string()) {
        prune.cluster = value.get<std::string>();
      } else {
        return Status::InvalidArgument("prune option \"" + key.substr(0, 40) +
                                       "\" is unknown or has the wrong type (known: dry_run "
                                       "boolean, cluster string)");
      }
    }
    return JobFunction([&s, prune](JobContext& job) -> Result<nlohmann::json> {
      CAIRN_ASSIGN_OR_RETURN(PruneReport report,
                             RunPrune(s.store.store(), s.store.CatalogAccess(), prune,
                                      s.clock.NowUnixNanos(), &job.progress, &job.cancel));
      return PruneReportToJson(report);
    });
  };
  return kind;
}

}  // namespace cairn
