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

ReplicaFetchStats::Claim ReplicaFetchStats::ClaimOrWait(const ChunkId& id) {
  std::unique_lock lock(mu_);
  auto [it, first] = claims_.emplace(id, Claim::kFetch);
  if (first) return Claim::kFetch;
  // A reference, not the iterator: other claims may rehash the map while
  // this one waits (references to elements stay valid).
  const Claim& state = it->second;
  finished_.wait(lock, [&] { return state != Claim::kFetch; });
  return state;
}

void ReplicaFetchStats::Finish(const ChunkId& id, bool pulled) {
  {
    std::lock_guard lock(mu_);
    claims_[id] = pulled ? Claim::kPulled : Claim::kFailed;
  }
  finished_.notify_all();
}

Result<Bytes> PullChunk(ReplicaTarget& target, ChunkReader& reader, Store& store, const ChunkId& id,
                        ReplicaFetchStats* stats) {
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
  const ReplicaFetchStats::Claim claim = stats_.ClaimOrWait(id);
  if (claim == ReplicaFetchStats::Claim::kPulled) {
    // Written by another thread of this job, perhaps not named yet.
    CAIRN_RETURN_IF_ERROR(store_.CommitChunks());
    return reader_.Read(id);
  }
  auto plain = Pull(id);
  if (claim == ReplicaFetchStats::Claim::kFetch) stats_.Finish(id, plain.ok());
  return plain;
}

Result<Bytes> ReplicaChunkFetcher::Pull(const ChunkId& id) {
  if (!target_) {
    auto opened = open_target_();
    if (!opened.ok()) {
      return opened.error().WithContext("chunk " + id.Hex() + " is not in the store yet; open " +
                                        source_);
    }
    target_ = std::move(*opened);
  }
  return PullChunk(*target_, reader_, store_, id, &stats_);
}

}  // namespace cairn
