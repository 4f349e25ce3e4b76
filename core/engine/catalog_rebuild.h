// RebuildCatalog: recreates the catalog -- an index -- from the store's own
// files, when catalog.db is lost or damaged. Every manifest is read (and so
// authenticated); each chunk it names is indexed with its sizes taken from
// the chunk file (stored size) and its envelope header (plaintext size).
// Snapshots whose manifest cannot be read, and chunks that are missing, are
// reported, not invented. Run on a Store opened with fresh_catalog=true.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/store/store.h"

namespace cairn {

struct RebuildReport {
  std::uint64_t snapshots = 0;
  std::uint64_t chunks = 0;
  std::vector<std::string> unreadable_manifests;  // "name/id: problem"
  std::vector<std::string> missing_chunks;        // "id (snapshot name/id)"
};

struct RebuildOptions {
  // For a chunk whose file is not in the store: its sizes when it is known
  // to be elsewhere -- a store attached to a replica (sync/recovery) fetches
  // such chunks when they are first read. The chunk is then indexed with
  // these sizes and not reported missing. Unset, or nullopt: missing.
  std::function<std::optional<NewChunk>(const ChunkId&)> absent_chunk;
};

Result<RebuildReport> RebuildCatalog(Store& store, const RebuildOptions& options = {});

}  // namespace cairn
