#include "appliance/daemon/chunk_access.h"

namespace cairn {

Result<std::shared_ptr<const ChunkAccess::IdSet>> ChunkAccess::IdsOf(
    const SnapshotRecord& snapshot) {
  {
    std::lock_guard lock(mu_);
    for (auto it = lru_.begin(); it != lru_.end(); ++it) {
      if (it->first == snapshot.id) {
        lru_.splice(lru_.begin(), lru_, it);
        return lru_.front().second;
      }
    }
  }
  // Built outside the lock: reading a large manifest takes a while.
  CAIRN_ASSIGN_OR_RETURN(Manifest m, service_.ReadManifest(snapshot));
  auto ids = std::make_shared<IdSet>();
  for (const TreeEntry& e : m.entries) {
    for (const ChunkSlice& s : e.content) ids->insert(s.id);
  }
  std::lock_guard lock(mu_);
  lru_.emplace_front(snapshot.id, ids);
  while (lru_.size() > capacity_) lru_.pop_back();
  return std::shared_ptr<const IdSet>(ids);
}

Result<OpenedPayload> ChunkAccess::ReadForSnapshot(const SnapshotRecord& snapshot,
                                                   const ChunkId& id) {
  CAIRN_ASSIGN_OR_RETURN(auto ids, IdsOf(snapshot));
  if (!ids->contains(id)) {
    return Status::NotFound("snapshot " + snapshot.id + " has no chunk " + id.Hex());
  }
  return Read(id);
}

Result<OpenedPayload> ChunkAccess::Read(const ChunkId& id) {
  Store& store = service_.store();
  CAIRN_ASSIGN_OR_RETURN(Bytes sealed, store.ReadSealedChunk(id));
  ObjectOpener opener(store.keys().data);
  return opener.OpenEncoded(ObjectType::kChunk, id.bytes, sealed, store.config().chunker.max_size);
}

}  // namespace cairn
