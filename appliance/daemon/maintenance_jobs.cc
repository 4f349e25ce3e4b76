#include "appliance/daemon/maintenance_jobs.h"

namespace cairn {

void RegisterMaintenanceJobs(std::map<std::string, JobKind>& kinds) {
  kinds.emplace("prune", PruneJobKind());
  kinds.emplace("verify", VerifyJobKind());
  kinds.emplace("gc", GcJobKind());
}

}  // namespace cairn
