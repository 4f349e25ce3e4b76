// GcRuns: the catalog's record of garbage collection runs (table gc_runs,
// schema v5, docs/formats.md), which makes a run resumable and its outcome
// visible afterwards (cairnctl, the appliance's job history).
//
// States: 'running' -- in progress, or interrupted (killed, or stopped by an
// I/O error while sweeping); the next run resumes the newest such row with
// its cutoff, from next_prefix (the first chunk directory, 0..256, not yet
// swept). 'done' -- every directory swept. 'failed' -- stopped before
// sweeping could be trusted (a manifest could not be read); the next run
// starts afresh. chunks_freed / bytes_freed are the run's totals so far
// (bytes include removed temporaries).
//
// Thread-safety: as the Catalog passed in (one thread at a time); callers
// inside the appliance go through GcEnvironment::WithCatalog.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/catalog/catalog.h"

namespace cairn {

struct GcRun {
  std::int64_t id = 0;
  std::int64_t started_unix_ns = 0;
  std::int64_t cutoff_unix_ns = 0;  // only chunk files modified before this may go
  std::string state;                // "running", "done" or "failed"
  int next_prefix = 0;              // 0..256
  std::uint64_t chunks_freed = 0;
  std::uint64_t bytes_freed = 0;
  std::optional<std::int64_t> finished_unix_ns;
  std::string detail;  // the summary when done, the error otherwise

  friend bool operator==(const GcRun&, const GcRun&) = default;
};

// The newest 'running' row, if any.
Result<std::optional<GcRun>> FindRunningGcRun(Catalog& catalog);
// Inserts a 'running' row at prefix 0; returns it.
Result<GcRun> StartGcRun(Catalog& catalog, std::int64_t started_unix_ns,
                         std::int64_t cutoff_unix_ns);
// Records that every directory before `next_prefix` is swept, with the
// run's totals so far.
Status SaveGcProgress(Catalog& catalog, std::int64_t run_id, int next_prefix,
                      std::uint64_t chunks_freed, std::uint64_t bytes_freed);
// Sets the detail of a run that stays 'running' (why it was interrupted).
Status NoteGcInterruption(Catalog& catalog, std::int64_t run_id, std::string_view detail);
// Ends a run: `state` is "done" or "failed".
Status FinishGcRun(Catalog& catalog, std::int64_t run_id, std::string_view state,
                   std::int64_t finished_unix_ns, std::string_view detail);
// The newest `limit` runs, newest first.
Result<std::vector<GcRun>> ListGcRuns(Catalog& catalog, std::size_t limit);

}  // namespace cairn
