// ChunkIndex: the set of chunk ids the store already holds, plus those being
// written by the current backup. Loaded once from the catalog at the start of
// a backup so "do we have it?" never touches SQLite in the hot path.
// Thread-safety: all methods may be called concurrently (sharded mutexes).
#pragma once

#include <array>
#include <mutex>
#include <unordered_set>
#include <vector>

#include "core/base/chunk_id.h"

namespace cairn {

class ChunkIndex {
 public:
  ChunkIndex() = default;
  explicit ChunkIndex(const std::vector<ChunkId>& known) {
    for (const ChunkId& id : known) InsertIfAbsent(id);
  }
  ChunkIndex(const ChunkIndex&) = delete;
  ChunkIndex& operator=(const ChunkIndex&) = delete;

  // True when `id` was absent and is now claimed by the caller, who must
  // write it (or fail the whole backup).
  bool InsertIfAbsent(const ChunkId& id) {
    Shard& s = ShardFor(id);
    std::lock_guard lock(s.mu);
    return s.ids.insert(id).second;
  }
  // True when `id` was present (garbage collection swept it, or verify
  // quarantined it: the next backup must send or write it again).
  bool Erase(const ChunkId& id) {
    Shard& s = ShardFor(id);
    std::lock_guard lock(s.mu);
    return s.ids.erase(id) == 1;
  }
  bool Contains(const ChunkId& id) {
    Shard& s = ShardFor(id);
    std::lock_guard lock(s.mu);
    return s.ids.contains(id);
  }

 private:
  static constexpr std::size_t kShards = 16;
  struct Shard {
    std::mutex mu;
    std::unordered_set<ChunkId, ChunkIdHash> ids;
  };
  Shard& ShardFor(const ChunkId& id) { return shards_[id.bytes[31] % kShards]; }
  std::array<Shard, kShards> shards_;
};

}  // namespace cairn
