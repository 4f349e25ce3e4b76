#include "sync/recovery/chunk_puller.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "core/store/chunk_reader.h"
#include "sync/recovery/replica_chunk_fetcher.h"

namespace cairn {

PullReport PullChunks(Store& store, const ReplicaTargetFactory& open_target,
                      const std::vector<std::pair<ChunkId, std::uint64_t>>& chunks,
                      const PullOptions& options) {
  PullReport report;
  JobProgress* progress = options.progress;
  if (progress) {
    std::uint64_t total = 0;
    for (const auto& c : chunks) total += c.second;
    progress->bytes_total = total;
  }
  std::atomic<std::size_t> next{0};
  std::atomic<std::uint64_t> local{0}, fetched_chunks{0}, fetched_bytes{0};
  std::atomic<std::uint64_t> uncommitted{0};
  std::atomic<bool> stop{false};
  std::mutex mu;  // guards report.failed and report.stopped

  // One stream: its own target and crypto contexts. Returns what stops
  // every stream.
  auto run_stream = [&](ReplicaFetchStats& mine) -> Status {
    CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<ReplicaTarget> target, open_target());
    ChunkReader reader(store);
    for (std::size_t i; !stop && (i = next.fetch_add(1)) < chunks.size();) {
      const auto& [id, listed_size] = chunks[i];
      CAIRN_ASSIGN_OR_RETURN(bool present, store.fs().Exists(store.ChunkPath(id)));
      if (present) {
        ++local;
        if (progress) progress->Add(progress->chunks_done, 1);
        continue;
      }
      const std::uint64_t before = mine.bytes;
      auto plain = PullChunk(*target, reader, store, id, &mine);
      if (!plain.ok()) {
        if (!plain.error().IsNotFound() && !plain.error().IsCorruption()) return plain.error();
        std::lock_guard lock(mu);
        report.failed.emplace_back(id, plain.error().message());
      }
      if (progress) {
        progress->Add(progress->chunks_done, 1);
        progress->Add(progress->bytes_done, mine.bytes - before);
      }
      // One stream at a time makes the batch durable; the others go on
      // writing temporaries meanwhile.
      if (uncommitted.fetch_add(listed_size) + listed_size >= options.commit_every_bytes) {
        uncommitted = 0;
        CAIRN_RETURN_IF_ERROR(store.CommitChunks());
      }
    }
    return Status::Ok();
  };
  auto stream = [&] {
    ReplicaFetchStats mine;
    Status s = run_stream(mine);
    fetched_chunks += mine.chunks;
    fetched_bytes += mine.bytes;
    if (s.ok()) return;
    std::lock_guard lock(mu);
    if (report.stopped.ok()) report.stopped = std::move(s);
    stop = true;
  };
  const int streams = std::clamp(options.streams, 1, 32);
  std::vector<std::thread> pool;
  for (int i = 0; i < streams; ++i) pool.emplace_back(stream);
  for (auto& t : pool) t.join();

  // Whatever arrived is kept, also after a failure: the next run resumes.
  Status committed = store.CommitChunks();
  if (!committed.ok() && report.stopped.ok()) report.stopped = committed;
  report.chunks_fetched = fetched_chunks;
  report.bytes_fetched = fetched_bytes;
  report.chunks_already_local = local;
  std::sort(report.failed.begin(), report.failed.end());
  return report;
}

}  // namespace cairn
