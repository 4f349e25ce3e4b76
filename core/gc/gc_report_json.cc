#include "core/gc/gc_report_json.h"

namespace cairn {

nlohmann::json GcReportToJson(const GcReport& r) {
  return {{"run_id", r.run_id},
          {"dry_run", r.dry_run},
          {"resumed", r.resumed},
          {"first_prefix", r.first_prefix},
          {"started_unix_ns", r.started_unix_ns},
          {"cutoff_unix_ns", r.cutoff_unix_ns},
          {"snapshots_marked", r.snapshots_marked},
          {"manifests_vanished", r.manifests_vanished},
          {"chunks_live", r.chunks_live},
          {"chunk_files", r.chunk_files},
          {"chunks_freed", r.chunks_freed},
          {"bytes_freed", r.bytes_freed},
          {"temporaries_freed", r.temporaries_freed},
          {"kept_recent", r.kept_recent},
          {"kept_referenced", r.kept_referenced},
          {"stale_rows_removed", r.stale_rows_removed},
          {"missing_count", r.missing_count},
          {"missing", r.missing},
          {"duration_ns", r.duration_ns}};
}

}  // namespace cairn
