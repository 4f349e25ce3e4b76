// Deleting a snapshot, and extending its retention lock -- the only two ways
// a committed snapshot changes. Both check the lock in the MANIFEST (the
// authoritative copy, which a rebuilt catalog is made from), not only the
// catalog row.
//
// Deletion is crash-safe in four durable steps; a crash after any of them is
// finished by FinishInterruptedDeletions (run at open and before a prune):
//   1. the catalog row is marked deleting (listings no longer show it);
//   2. the manifest is renamed to <id>.deleting (garbage collection and
//      catalog rebuild no longer see it; it is still readable);
//   3. the row is removed and the refcounts of its chunks lowered, in one
//      transaction (chunk list read from the .deleting file);
//   4. the .deleting file is unlinked.
// The chunks themselves are freed later by garbage collection.
//
// Thread-safety: catalog use goes through `with_catalog` (the appliance
// serializes it); the rest is the Store's thread-safe file access.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/catalog/catalog_access.h"
#include "core/store/store.h"

namespace cairn {

// PermissionDenied while locked (the message says until when); NotFound
// when there is no such snapshot.
Status DeleteSnapshot(Store& store, const WithCatalogFn& with_catalog,
                      const SnapshotRecord& snapshot, std::int64_t now_unix_ns);

// Finishes deletions a crash interrupted; returns how many.
Result<std::size_t> FinishInterruptedDeletions(Store& store, const WithCatalogFn& with_catalog);

// Raises the snapshot's lock to `until_unix_ns`: the manifest is rewritten
// (atomically) with it, then the catalog row. A lock is never shortened
// (PermissionDenied, naming the current lock); `until` in the past is
// InvalidArgument. Returns the lock now in force.
Result<std::int64_t> ExtendSnapshotLock(Store& store, const WithCatalogFn& with_catalog,
                                        const SnapshotRecord& snapshot,
                                        std::int64_t until_unix_ns, std::int64_t now_unix_ns);

}  // namespace cairn
