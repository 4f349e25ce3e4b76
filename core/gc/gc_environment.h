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

 private:
  Catalog& catalog_;
};

}  // namespace cairn
