// GcEnvironment: how garbage collection reaches the catalog and removes a
// chunk, so the same collector runs in cairnctl's local mode and inside the
// appliance, whose other users of the catalog it must not race.
//
// The collector never calls Store::catalog() itself: every catalog use goes
// through WithCatalog, and every chunk removal through SweepChunk, which
// gives the environment the chance to hold whatever locks make the removal
// atomic with respect to concurrent backups. In the appliance that is the
// catalog lock and then the ingest's received lock
// (appliance/daemon/ingest_gc_environment.h, ChunkIngest::SweepChunk).
//
// Thread-safety: the collector calls an environment from one thread; an
// implementation must be safe against whatever else uses the catalog.
#pragma once

#include <functional>
#include <vector>

#include "core/base/chunk_id.h"
#include "core/base/status.h"
#include "core/catalog/catalog.h"

namespace cairn {

class GcEnvironment {
 public:
  virtual ~GcEnvironment() = default;

  // Runs `fn` with the catalog, serialized with every other catalog user.
  virtual Status WithCatalog(const std::function<Status(Catalog&)>& fn) = 0;

  // The critical section for removing one unreferenced chunk: runs
  // `remove` (which deletes the chunk's catalog row if its refcount is still
  // 0, then unlinks the file) unless the environment knows the chunk is in
  // flight. Returns true when removed, false when kept (in flight, or
  // `remove` found it referenced again).
  virtual Result<bool> SweepChunk(const ChunkId& id,
                                  const std::function<Result<bool>(Catalog&)>& remove) = 0;

  // The same for several chunks at once: `remove` gets the ids the
  // environment lets go (not in flight), deletes their rows in one
  // transaction -- one fsync for the batch instead of one per chunk -- then
  // unlinks the files, and returns the ids it removed. The default goes
  // through SweepChunk one id at a time; an environment that can hold its
  // critical section for a batch overrides it.
  using RemoveChunks =
      std::function<Result<std::vector<ChunkId>>(Catalog&, const std::vector<ChunkId>&)>;
  virtual Status SweepChunks(const std::vector<ChunkId>& ids, const RemoveChunks& remove) {
    for (const ChunkId& id : ids) {
      auto swept = SweepChunk(id, [&](Catalog& catalog) -> Result<bool> {
        CAIRN_ASSIGN_OR_RETURN(std::vector<ChunkId> removed, remove(catalog, {id}));
        return !removed.empty();
      });
      CAIRN_RETURN_IF_ERROR(swept.status());
    }
    return Status::Ok();
  }
};

// Direct calls on one Catalog, for cairnctl's local mode (under the store's
// exclusive lock, see core/store/store_lock.h) and tests. The catalog may be
// the Store's own or a second connection to the same file.
class LocalGcEnvironment final : public GcEnvironment {
 public:
  explicit LocalGcEnvironment(Catalog& catalog) : catalog_(catalog) {}

  Status WithCatalog(const std::function<Status(Catalog&)>& fn) override { return fn(catalog_); }
  Result<bool> SweepChunk(const ChunkId&,
                          const std::function<Result<bool>(Catalog&)>& remove) override {
    return remove(catalog_);
  }
  // Nothing here is in flight: the whole batch in one transaction.
  Status SweepChunks(const std::vector<ChunkId>& ids, const RemoveChunks& remove) override {
    return remove(catalog_, ids).status();
  }

 private:
  Catalog& catalog_;
};

}  // namespace cairn
