#include "sync/recovery/replica_chunk_fetcher.h"

#include <chrono>
#include <thread>

#include "sync/target/replica_layout.h"

namespace cairn {
namespace {

// A link that drops for a moment should not fail a restore; one that stays
// down should fail it soon, with the target's own message.
constexpr int kAttempts = 4;
constexpr std::chrono::milliseconds kFirstBackoff{250};

Result<Bytes> GetWithRetry(ReplicaTarget& target, const std::string& key) {
  std::chrono::milliseconds backoff = kFirstBackoff;
  for (int attempt = 1;; ++attempt) {
    auto got = target.Get(key, Store::kMaxSealedChunkBytes);
    if (got.ok() || !got.error().retryable() || attempt == kAttempts) return got;
    std::this_thread::sleep_for(backoff);
    backoff *= 2;
  }
}

}  // namespace

void ReplicaFetchStats::MarkPulled(const ChunkId& id) {
  std::lock_guard lock(mu_);
  pulled_.insert(id);
}

bool ReplicaFetchStats::WasPulled(const ChunkId& id) {
  std::lock_guard lock(mu_);
  return pulled_.contains(id);
}

Result<Bytes> PullChunk(ReplicaTarget& target, ChunkReader& reader, Store& store,
                        const ChunkId& id, ReplicaFetchStats* stats) {
  auto sealed = GetWithRetry(target, ReplicaChunkKey(id));
  if (!sealed.ok() && sealed.error().IsNotFound()) {
    return Status::NotFound("chunk " + id.Hex() + " is missing from the replica at " +
                            target.Describe());
  }
  if (!sealed.ok()) return sealed.error().WithContext("fetch chunk " + id.Hex());
  // Proven before it is kept: a replica is untrusted storage.
  auto plain = reader.Open(id, *sealed);
  if (!plain.ok()) return plain.error().WithContext("from the replica at " + target.Describe());
  CAIRN_RETURN_IF_ERROR(store.WriteChunk(id, *sealed).status());
  if (stats) {
    stats->chunks.fetch_add(1, std::memory_order_relaxed);
    stats->bytes.fetch_add(sealed->size(), std::memory_order_relaxed);
  }
  return plain;
}

Result<Bytes> ReplicaChunkFetcher::Fetch(const ChunkId& id) {
  auto local = reader_.Read(id);
  if (local.ok() || !local.error().IsNotFound()) return local;
  if (stats_.WasPulled(id)) {
    CAIRN_RETURN_IF_ERROR(store_.CommitChunks());
    return reader_.Read(id);
  }
  if (!target_) {
    auto opened = open_target_();
    if (!opened.ok()) {
      return opened.error().WithContext("chunk " + id.Hex() + " is not in the store yet; open " +
                                        source_);
    }
    target_ = std::move(*opened);
  }
  auto plain = PullChunk(*target_, reader_, store_, id, &stats_);
  if (plain.ok()) stats_.MarkPulled(id);
  return plain;
}

}  // namespace cairn
