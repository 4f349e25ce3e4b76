// The "gc" job: garbage collection (core/gc) on the appliance's store while
// agents keep uploading -- IngestGcEnvironment takes each removal through
// ChunkIngest::SweepChunk, so a chunk an upload sent or was told is present
// is never lost under a commit. Options: {"grace": "1h", "dry_run": bool}.
// Permission write-config (admin): it deletes data, if only unreferenced.
#include "appliance/daemon/ingest_gc_environment.h"
#include "appliance/daemon/maintenance_jobs.h"
#include "appliance/daemon/services.h"
#include "core/base/duration.h"
#include "core/gc/gc_report_json.h"

namespace cairn {

JobKind GcJobKind() {
  JobKind kind;
  kind.permission = Permission::kWriteConfig;
  kind.description = "free the chunks no snapshot references";
  kind.make = [](const nlohmann::json& options, ApplianceServices& s) -> Result<JobFunction> {
    GcOptions gc;
    for (const auto& [key, value] : options.items()) {
      if (key == "dry_run" && value.is_boolean()) {
        gc.dry_run = value.get<bool>();
      } else if (key == "grace" && value.is_string()) {
        CAIRN_ASSIGN_OR_RETURN(gc.grace, ParseDuration(value.get<std::string>()));
      } else {
        return Status::InvalidArgument("gc option \"" + key.substr(0, 40) +
                                       "\" is unknown or has the wrong type (known: grace "
                                       "duration string, dry_run boolean)");
      }
    }
    gc.clock = &s.clock;
    return JobFunction([&s, gc](JobContext& job) mutable -> Result<nlohmann::json> {
      gc.cancel = &job.cancel;
      IngestGcEnvironment env(s.store, s.ingest);
      CAIRN_ASSIGN_OR_RETURN(GcReport report,
                             RunGarbageCollection(s.store.store(), env, gc, &job.progress));
      return GcReportToJson(report);
    });
  };
  return kind;
}

}  // namespace cairn
