#include "core/engine/chunk_prefetcher.h"

#include "core/store/chunk_reader.h"

namespace cairn {

ChunkPrefetcher::ChunkPrefetcher(Store& store, std::vector<ChunkId> sequence, int threads,
                                 std::size_t window)
    : store_(store), sequence_(std::move(sequence)), window_(std::max<std::size_t>(window, 1)) {
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ChunkPrefetcher::~ChunkPrefetcher() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  space_cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ChunkPrefetcher::WorkerLoop() {
  ChunkReader reader(store_);
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
    auto plain = reader.Read(sequence_[index]);
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
