// Garbage collection: removes the chunk files no snapshot references, safely
// beside backups in flight, resumably, and says what it freed.
//
//   mark   the live set = every chunk named by every manifest FILE in the
//          store (not only those with a catalog row: a manifest written just
//          before a crash is a snapshot). A manifest that cannot be read
//          stops the run before anything is removed.
//   sweep  chunks/00 .. chunks/ff in order. A chunk file goes only when it is
//          not live, was modified before the run's cutoff (start - grace),
//          and -- checked again inside the environment's critical section --
//          its catalog row is absent or has refcount 0; the row is deleted
//          first, then the file. Temporaries older than the cutoff, left by a
//          crashed writer, go too. The run's progress is saved in gc_runs
//          after each directory that freed something (and every few
//          seconds), so a killed run resumes where it stopped, with the same
//          cutoff.
//   rows   catalog rows with refcount 0 whose file is gone are deleted: a
//          backup must not deduplicate against them.
//
// The algorithm and why it is safe: docs/gc.md. The caller provides the
// exclusion from other processes: in local mode, LockStoreForGc (the store's
// exclusive lock); inside the appliance, the GcEnvironment's locks.
//
// Thread-safety: one RunGarbageCollection per store at a time (the store
// lock, or the appliance's job runner, sees to that); it runs on the calling
// thread and may take minutes on a large store.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/base/clock.h"
#include "core/engine/progress.h"
#include "core/gc/gc_environment.h"
#include "core/store/store.h"
#include "core/store/store_lock.h"

namespace cairn {

struct GcOptions {
  // Files modified less than `grace` before the run started are kept,
  // whatever the catalog says: a backup may have written them and not yet
  // committed. Must exceed the longest time a writer holds an uncommitted
  // chunk it did not write itself -- an hour by default.
  std::chrono::seconds grace = std::chrono::hours(1);
  // Report what would be freed; remove nothing, record no run.
  bool dry_run = false;
  // Now, for the cutoff and the run's timestamps; null: DefaultClock().
  Clock* clock = nullptr;
  // Set from another thread to stop soon (checked between files). The run
  // stays 'running' and the next one resumes it; the result is Cancelled.
  const std::atomic<bool>* cancel = nullptr;
};

struct GcReport {
  static constexpr std::size_t kMaxMissingListed = 100;

  std::int64_t run_id = 0;  // the gc_runs row; 0 in a dry run
  bool dry_run = false;
  bool resumed = false;              // continued an interrupted run
  int first_prefix = 0;              // first chunk directory this invocation swept
  std::int64_t started_unix_ns = 0;  // of the run (the first invocation, if resumed)
  std::int64_t cutoff_unix_ns = 0;

  // Mark.
  std::uint64_t snapshots_marked = 0;    // manifests read
  std::uint64_t manifests_vanished = 0;  // listed, then deleted before they were read
  std::uint64_t chunks_live = 0;         // distinct chunks they name

  // Sweep. chunks_freed and bytes_freed are the run's totals, including
  // what an interrupted invocation freed before; in a dry run, what would be
  // freed. bytes_freed counts chunk files and temporaries, as stored on disk.
  std::uint64_t chunk_files = 0;  // chunk files seen, in every directory
  std::uint64_t chunks_freed = 0;
  std::uint64_t bytes_freed = 0;
  std::uint64_t temporaries_freed = 0;   // this invocation
  std::uint64_t kept_recent = 0;         // unreferenced but newer than the cutoff
  std::uint64_t kept_referenced = 0;     // not in a manifest, yet counted by the
                                         // catalog or in flight (e.g. a snapshot
                                         // whose deletion has not finished)
  std::uint64_t stale_rows_removed = 0;  // refcount-0 rows whose file was gone

  // Chunks a manifest names that are not in the store: damage for
  // `cairnctl verify` to attribute (or, in a store attached to a replica,
  // chunks not fetched yet). Reported, never a failure of GC.
  std::uint64_t missing_count = 0;
  std::vector<std::string> missing;  // "<id> (snapshot <name>/<id>)", at most kMaxMissingListed

  std::int64_t duration_ns = 0;
};

// Progress, if given: `entries` = manifests marked, `chunks_done` = chunk
// files examined, `bytes_done` = bytes freed, `problems` = missing chunks.
Result<GcReport> RunGarbageCollection(Store& store, GcEnvironment& env, const GcOptions& options,
                                      JobProgress* progress = nullptr);

// The store's exclusive lock for a local-mode run, refused (Unavailable)
// with a message naming the holders while a backup or an appliance holds it.
Result<StoreLock> LockStoreForGc(const std::filesystem::path& store_dir);

}  // namespace cairn
