// ChunkPrefetcher: the parallel half of restore. Given the chunks a restore
// will need, in the order it needs them, N workers fetch them (read,
// authenticate, decompress, check the id) ahead of the writer, at most `window` chunks ahead (bounded
// memory). The writer takes them strictly in order with Get().
// Thread-safety: Get() from one thread; workers are internal.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/engine/progress.h"
#include "core/engine/chunk_fetcher.h"

namespace cairn {

class ChunkPrefetcher {
 public:
  // One worker per fetcher.
  ChunkPrefetcher(std::vector<std::unique_ptr<ChunkFetcher>> fetchers, std::vector<ChunkId> sequence,
                  std::size_t window);
  ~ChunkPrefetcher();
  ChunkPrefetcher(const ChunkPrefetcher&) = delete;
  ChunkPrefetcher& operator=(const ChunkPrefetcher&) = delete;

  // The plaintext of sequence[index]; indexes must be asked in order.
  Result<std::shared_ptr<const Bytes>> Get(std::size_t index);
  std::size_t size() const { return sequence_.size(); }

 private:
  void WorkerLoop(ChunkFetcher& fetcher);

  std::vector<std::unique_ptr<ChunkFetcher>> fetchers_;
  const std::vector<ChunkId> sequence_;
  const std::size_t window_;
  std::mutex mu_;
  std::condition_variable ready_cv_, space_cv_;
  std::size_t next_claim_ = 0;  // next index a worker will take
  std::size_t consumed_ = 0;    // indexes below this were handed out
  bool stop_ = false;
  std::map<std::size_t, Result<std::shared_ptr<const Bytes>>> ready_;
  std::vector<std::thread> workers_;
};

}  // namespace cairn
