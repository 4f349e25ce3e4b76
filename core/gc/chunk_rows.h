// The few statements garbage collection runs on the catalog's `chunks`
// table, through Catalog::db() (the Catalog keeps no GC logic of its own).
// Each call is one transaction: durable (synchronous=FULL) when it returns,
// which is what lets the collector unlink a file right after its row is
// gone.
//
// Thread-safety: as the Catalog passed in (one thread at a time).
#pragma once

#include <vector>

#include "core/base/chunk_id.h"
#include "core/base/status.h"
#include "core/catalog/catalog.h"

namespace cairn {

enum class ChunkRowOutcome {
  kDeleted,     // the row had refcount 0 and is gone
  kAbsent,      // there was no row
  kReferenced,  // the row is referenced (refcount > 0) and stays
};

// Deletes the chunk's row only if no snapshot counts it (refcount = 0).
Result<ChunkRowOutcome> DeleteChunkRowIfUnreferenced(Catalog& catalog, const ChunkId& id);
// The same for each of `ids`, in one transaction (all of it durable, or
// none of it); outcomes in the order of `ids`.
Result<std::vector<ChunkRowOutcome>> DeleteChunkRowsIfUnreferenced(Catalog& catalog,
                                                                   const std::vector<ChunkId>& ids);

// Ids of every row with refcount 0, in id order.
Result<std::vector<ChunkId>> UnreferencedChunkRows(Catalog& catalog);

}  // namespace cairn
