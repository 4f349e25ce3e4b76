// The statements the scrub runs on the catalog (through Catalog::db(); the
// Catalog keeps no scrub logic of its own): which chunks are due, the
// quarantine list (quarantined_chunks) and the per-snapshot results
// (snapshot_checks). Tables: docs/formats.md, schema v5.
//
// Thread-safety: as the Catalog passed in (one thread at a time; in the
// appliance, inside WithCatalogFn).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/base/chunk_id.h"
#include "core/base/status.h"
#include "core/catalog/catalog.h"

namespace cairn {

struct ChunkVerifyState {
  std::uint64_t plain_size = 0;
  std::optional<std::int64_t> verified_unix_ns;
};
using ChunkVerifyStates = std::unordered_map<ChunkId, ChunkVerifyState, ChunkIdHash>;
using ChunkIdSet = std::unordered_set<ChunkId, ChunkIdHash>;

// Every chunk row's plaintext size and last verification.
Result<ChunkVerifyStates> LoadChunkVerifyStates(Catalog& catalog);

// Ids in quarantined_chunks.
Result<ChunkIdSet> QuarantinedChunkIds(Catalog& catalog);

// Records a damaged chunk. `file` is where it was moved ("" when the chunk
// file was missing); a missing chunk already listed keeps its row (its file
// and time are those of the first quarantine).
Status RecordQuarantine(Catalog& catalog, const ChunkId& id, std::int64_t unix_ns,
                        const std::string& problem, const std::string& file);

// Removes the rows of `ids` (chunks proven sound again), in one transaction.
Status ClearQuarantine(Catalog& catalog, const std::vector<ChunkId>& ids);

struct SnapshotCheck {
  std::string snapshot_id;
  std::string state;  // "ok", "damaged" or "healed"
  std::uint64_t damaged_chunks = 0;
  std::uint64_t healed_chunks = 0;
  std::string detail;
};

// Replaces each snapshot's row, in one transaction.
Status RecordSnapshotChecks(Catalog& catalog, const std::vector<SnapshotCheck>& checks,
                            std::int64_t unix_ns);

// The row of one snapshot, if it was ever checked.
Result<std::optional<SnapshotCheck>> GetSnapshotCheck(Catalog& catalog,
                                                      const std::string& snapshot_id);

}  // namespace cairn
