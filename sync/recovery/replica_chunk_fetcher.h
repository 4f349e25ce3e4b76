// Chunks from a replica into a store attached to it: PullChunk fetches one
// sealed chunk, proves it (ChunkReader: AES-256-GCM with the id bound, then
// the keyed hash of the plaintext equals the id) and only then writes it
// into the store as it is, so the next read is local. ReplicaChunkFetcher is
// the restore's ChunkFetcher for such a store: the local chunk when there is
// one, else PullChunk.
//
// A chunk written here gets its final name at the store's next
// CommitChunks(); whoever runs the job calls it at the end (and the store
// commits by itself every Store::kCommitBatchBytes).
//
// Thread-safety: one ReplicaChunkFetcher per thread (it owns its target and
// crypto contexts); the Store and ReplicaFetchStats are shared.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>

#include "core/engine/chunk_fetcher.h"
#include "core/store/chunk_reader.h"
#include "sync/recovery/replica_source.h"

namespace cairn {

struct ReplicaFetchStats {
  std::atomic<std::uint64_t> chunks{0};  // fetched, proven and stored
  std::atomic<std::uint64_t> bytes{0};   // their sealed bytes (what crossed the wire)

  // Chunks pulled by this job: one read again before the store has named it
  // (a snapshot may use a chunk in several places) commits the batch rather
  // than fetching the chunk twice.
  void MarkPulled(const ChunkId& id);
  bool WasPulled(const ChunkId& id);

 private:
  std::mutex mu_;
  std::unordered_set<ChunkId, ChunkIdHash> pulled_;
};

// Returns the chunk's plaintext. NotFound when the replica lacks it,
// Corruption naming the chunk when the bytes are not that chunk (nothing is
// written), the target's error otherwise (Unavailable is retried a few
// times with backoff first).
Result<Bytes> PullChunk(ReplicaTarget& target, ChunkReader& reader, Store& store,
                        const ChunkId& id, ReplicaFetchStats* stats);

class ReplicaChunkFetcher final : public ChunkFetcher {
 public:
  // `open_target` is called on the first chunk the store lacks, so a restore
  // of local chunks never touches the network nor needs the secrets.
  ReplicaChunkFetcher(Store& store, ReplicaTargetFactory open_target, std::string source,
                      ReplicaFetchStats& stats)
      : store_(store),
        reader_(store),
        open_target_(std::move(open_target)),
        source_(std::move(source)),
        stats_(stats) {}

  Result<Bytes> Fetch(const ChunkId& id) override;

 private:
  Store& store_;
  ChunkReader reader_;
  ReplicaTargetFactory open_target_;
  std::string source_;  // for messages
  ReplicaFetchStats& stats_;
  std::unique_ptr<ReplicaTarget> target_;
};

}  // namespace cairn
