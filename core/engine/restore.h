// Restore: writes a snapshot's entries into an EntrySink -- a directory
// (TreeRestorer, confined to its target) or a tar stream (TarWriter).
// Chunks are fetched, authenticated and decompressed ahead by a
// ChunkPrefetcher; entries are written in manifest order on the calling
// thread. A damaged chunk or a refused entry does not stop the restore: it is
// reported per entry and the result is not ok().
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/catalog/catalog.h"
#include "core/engine/chunk_fetcher.h"
#include "core/engine/progress.h"
#include "core/store/store.h"
#include "core/tree/entry_sink.h"

namespace cairn {

struct RestoreRequest {
  std::string snapshot = "latest";     // id, unique id prefix, or "latest"
  std::optional<std::string> name;     // with "latest": the newest of this name
  int threads = 0;                     // 0: one per core
  JobProgress* progress = nullptr;
};

struct RestoreResult {
  std::string snapshot_id;
  std::uint64_t entries = 0;
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
  std::vector<std::string> errors;  // per-entry failures; empty when all restored
};

// Finds the snapshot a user means by "latest", an id or an id prefix; with
// `cluster`, only among that cluster's snapshots (another cluster's is
// NotFound, worded as for an id that does not exist).
Result<SnapshotRecord> ResolveSnapshot(Catalog& catalog, std::string_view spec,
                                       const std::optional<std::string>& name,
                                       const std::optional<std::string>& cluster = std::nullopt);

Result<RestoreResult> RunRestore(Store& store, const RestoreRequest& request, EntrySink& sink);

// The part after the manifest is known, for any chunk source (one fetcher
// per prefetch thread; RestoreThreads says how many the request wants).
Result<RestoreResult> RestoreManifest(const Manifest& manifest,
                                      std::vector<std::unique_ptr<ChunkFetcher>> fetchers,
                                      const RestoreRequest& request, EntrySink& sink);
int RestoreThreads(const RestoreRequest& request);

}  // namespace cairn
