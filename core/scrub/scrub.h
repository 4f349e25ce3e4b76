// Scrub: verify with quarantine and self-heal. Reads back the chunks the
// snapshots name and proves each (ChunkReader: the envelope authenticates,
// the plaintext hashes to the id); a chunk that fails -- bytes flipped,
// truncated, replaced, or missing -- is moved to <store>/quarantine/
// (core/scrub/quarantine.h, recorded in quarantined_chunks), then, when a
// heal source is given, fetched from each of its members in turn: the first
// copy that PROVES under this store's keys is written (Store::WriteChunk +
// CommitChunks), read back, and the chunk is healed. Bytes that do not prove
// are refused and never written.
//
// Afterwards, in the catalog: every chunk proven sound (or healed) is marked
// verified and leaves quarantined_chunks; every snapshot gets its
// snapshot_checks row (ok | damaged | healed, with counts and a short
// detail). The report names, for each chunk left unhealed, the snapshots and
// files that lose data.
//
// The same code runs in cairnctl's local mode (DirectCatalogAccess) and as
// the appliance's "verify" job (appliance/daemon/verify_job.cc), where every
// catalog use goes through the appliance's catalog lock (WithCatalogFn) and
// on_quarantined tells the ingest to forget the chunk, so the next upload
// of the same content stores it again instead of deduplicating against a
// file that is gone.
//
// Thread-safety: runs on the calling thread with `threads` readers; one
// scrub per store at a time (the appliance's job runner sees to that).
// Memory: the distinct chunk ids plus one manifest at a time.
#pragma once

#include <atomic>
#include <functional>

#include "core/base/clock.h"
#include "core/catalog/catalog_access.h"
#include "core/engine/progress.h"
#include "core/scrub/chunk_heal_source.h"
#include "core/scrub/scrub_report.h"
#include "core/store/store.h"

namespace cairn {

struct ScrubOptions {
  // 0: every chunk the snapshots name. N > 0: only chunks not verified in
  // the last N days (never verified included), and those in quarantine.
  int unverified_days = 0;
  // Reader threads; 0: one per core.
  int threads = 0;
  // Now, for quarantine names, rows and the unverified cutoff; null: DefaultClock().
  Clock* clock = nullptr;
  // Called for each chunk quarantined (before any heal is tried): the
  // appliance sets ChunkIngest::Forget.
  std::function<void(const ChunkId&)> on_quarantined;
};

// Progress: entries = manifests read, chunks_done / bytes_done = chunks and
// plaintext bytes checked, bytes_total = plaintext bytes due (when the
// catalog knows their sizes), problems = damaged chunks so far.
// `cancel`, set from another thread, stops the run between chunks
// (Cancelled; nothing is quarantined or recorded for the partial run).
Result<ScrubReport> RunScrub(Store& store, const WithCatalogFn& with_catalog,
                             const ScrubOptions& options, ChunkHealSource* heal = nullptr,
                             JobProgress* progress = nullptr,
                             const std::atomic<bool>* cancel = nullptr);

}  // namespace cairn
