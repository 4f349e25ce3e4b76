// ChunkAccess: serves chunks to agents for a restore, scoped to a snapshot.
//
// An agent may read a chunk only as part of a snapshot of its own cluster
// that names it: chunk ids are shared store-wide (deduplication across
// clusters), so "any chunk by id" would let one cluster read another's data
// once it learned an id. The id set of a snapshot is built from its manifest
// on first use and kept in a small LRU (a restore asks for many chunks of one
// snapshot).
//
// Chunks are served decrypted but still encoded (raw or zstd): the agent
// decodes and checks the id itself, so the data key stays here and a restore
// is verified end to end.
// Thread-safety: all methods from any thread.
#pragma once

#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>

#include "appliance/daemon/store_service.h"
#include "core/crypto/sealed_object.h"

namespace cairn {

class ChunkAccess {
 public:
  explicit ChunkAccess(StoreService& service, std::size_t cached_snapshots = 8)
      : service_(service), capacity_(cached_snapshots) {}

  // The chunk, if `snapshot` (already resolved within the agent's cluster)
  // names it; NotFound otherwise.
  Result<OpenedPayload> ReadForSnapshot(const SnapshotRecord& snapshot, const ChunkId& id);
  // Any chunk (admin-side paths only).
  Result<OpenedPayload> Read(const ChunkId& id);

 private:
  using IdSet = std::unordered_set<ChunkId, ChunkIdHash>;
  Result<std::shared_ptr<const IdSet>> IdsOf(const SnapshotRecord& snapshot);

  StoreService& service_;
  const std::size_t capacity_;
  std::mutex mu_;
  std::list<std::pair<std::string, std::shared_ptr<const IdSet>>> lru_;  // front: newest
};

}  // namespace cairn
