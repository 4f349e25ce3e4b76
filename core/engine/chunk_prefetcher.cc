#include "core/engine/chunk_prefetcher.h"


namespace cairn {

ChunkPrefetcher::ChunkPrefetcher(std::vector<std::unique_ptr<ChunkFetcher>> fetchers,
                                 std::vector<ChunkId> sequence, std::size_t window)
    : fetchers_(std::move(fetchers)),
      sequence_(std::move(sequence)),
      window_(std::max<std::size_t>(window, 1)) {
  for (auto& f : fetchers_) {
    ChunkFetcher* fetcher = f.get();
    workers_.emplace_back([this, fetcher] { WorkerLoop(*fetcher); });
  }
}

ChunkPrefetcher::~ChunkPrefetcher() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  space_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ChunkPrefetcher::WorkerLoop(ChunkFetcher& fetcher) {
  while (true) {
    std::size_t index;
    {
      std::unique_lock lock(mu_);
      space_cv_.wait(lock, [&] {
        return stop_ || next_claim_ >= sequence_.size() || next_claim_ < consumed_ + window_;
      });
      if (stop_ || next_claim_ >= sequence_.size()) return;
      index = next_claim_++;
    }
    auto plain = fetcher.Fetch(sequence_[index]);
    Result<std::shared_ptr<const Bytes>> out =
        plain.ok() ? Result<std::shared_ptr<const Bytes>>(
                         std::make_shared<const Bytes>(std::move(*plain)))
                   : Result<std::shared_ptr<const Bytes>>(plain.error());
    {
      std::lock_guard lock(mu_);
      ready_.emplace(index, std::move(out));
    }
    ready_cv_.notify_all();
  }
}

Result<std::shared_ptr<const Bytes>> ChunkPrefetcher::Get(std::size_t index) {
  std::unique_lock lock(mu_);
  ready_cv_.wait(lock, [&] { return ready_.contains(index); });
  auto node = ready_.extract(index);
  consumed_ = index + 1;
  lock.unlock();
  space_cv_.notify_all();
  return std::move(node.mapped());
}

}  // namespace cairn
