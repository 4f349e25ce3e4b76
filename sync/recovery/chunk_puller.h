// PullChunks: brings a list of chunks from a replica into a store, several
// streams at once (one ReplicaTarget per stream), each chunk proven before
// it is kept (PullChunk). The bulk half of `cairnctl replica reseed`.
//
// Resumable: a chunk already in the store is not fetched; what was fetched
// is made durable every `commit_every_bytes` and at the end, also when the
// pull fails or is cut short, so running it again fetches only the rest
// (a crash loses at most one batch of unnamed temporaries).
//
// A chunk the replica lacks or holds damaged is reported and the pull goes
// on; any other failure (target down past the retries, refused
// credentials, a local write error) stops every stream and is reported as
// `stopped`, with the figures of what was done before.
//
// Thread-safety: call from one thread; it runs `streams` threads of its own.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/engine/progress.h"
#include "core/store/store.h"
#include "sync/recovery/replica_source.h"

namespace cairn {

struct PullOptions {
  int streams = 4;  // 1..32, as a replication target's streams
  std::uint64_t commit_every_bytes = 64ull << 20;
  // chunks_done, bytes_done: chunks handled (fetched or found local) and
  // sealed bytes fetched; bytes_total: the listed size of those to fetch.
  JobProgress* progress = nullptr;
};

struct PullReport {
  std::uint64_t chunks_fetched = 0;
  std::uint64_t bytes_fetched = 0;  // sealed bytes that crossed the wire
  std::uint64_t chunks_already_local = 0;
  std::vector<std::pair<ChunkId, std::string>> failed;  // missing or damaged on the replica
  Status stopped;  // why the pull stopped before the end; Ok when it ran through
};

// `chunks`: (id, stored size on the replica), e.g. AttachedStore::to_pull.
PullReport PullChunks(Store& store, const ReplicaTargetFactory& open_target,
                      const std::vector<std::pair<ChunkId, std::uint64_t>>& chunks,
                      const PullOptions& options);

}  // namespace cairn
