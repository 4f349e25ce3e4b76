// The maintenance job kinds the admin API can start (POST /v1/jobs/{kind}),
// each defined in its own file:
//   prune   prune_job.cc    retention policies; {"dry_run", "cluster"}
//   gc      gc_job.cc       garbage collection; {"grace", "dry_run"}
//   verify  verify_job.cc   verify / scrub / self-heal
// Thread-safety: call once while building the services.
#pragma once

#include <map>
#include <string>

#include "appliance/daemon/job_kind.h"

namespace cairn {

void RegisterMaintenanceJobs(std::map<std::string, JobKind>& kinds);

// One per kind, from its file.
JobKind PruneJobKind();
JobKind VerifyJobKind();
JobKind GcJobKind();

}  // namespace cairn
