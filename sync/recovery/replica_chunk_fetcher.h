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
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/engine/chunk_fetcher.h"
#include "core/store/chunk_reader.h"
#include "sync/recovery/replica_source.h"

namespace cairn {

struct ReplicaFetchStats {
  std::atomic<std::uint64_t> chunks{0};  // fetched, proven and stored
  std::atomic<std::uint64_t> bytes{0};   // their sealed bytes (what crossed the wire)

  // A snapshot may use a chunk in several places, read by several threads:
  // the first to Claim it fetches it (and calls Finish); the others wait
  // for that and then read the stored copy, so no chunk crosses the wire
  // twice in one job.
  enum class Claim { kFetch, kPulled, kFailed };
  Claim ClaimOrWait(const ChunkId& id);
  void Finish(const ChunkId& id, bool pulled);

 private:
  std::mutex mu_;
  std::condition_variable finished_;
  std::unordered_map<ChunkId, Claim, ChunkIdHash> claims_;  // kFetch: in flight
};

// Returns the chunk's plaintext. NotFound when the replica lacks it,
// Corruption naming the chunk when the bytes are not that chunk (nothing is
// written), the target's error otherwise (Unavailable is retried a few
// times with backoff first).
Result<Bytes> PullChunk(ReplicaTarget& target, ChunkReader& reader, Store& store, const ChunkId& id,
                        ReplicaFetchStats* stats);

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
  Result<Bytes> Pull(const ChunkId& id);

  Store& store_;
  ChunkReader reader_;
  ReplicaTargetFactory open_target_;
  std::string source_;  // for messages
  ReplicaFetchStats& stats_;
  std::unique_ptr<ReplicaTarget> target_;
};

}  // namespace cairn
