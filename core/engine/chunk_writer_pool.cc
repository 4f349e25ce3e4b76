#include "core/engine/chunk_writer_pool.h"

#include "core/crypto/chunk_hasher.h"
#include "core/crypto/sealed_object.h"

namespace cairn {

ChunkWriterPool::ChunkWriterPool(Store& store, ChunkIndex& index, int threads,
                                 JobProgress* progress)
    : store_(store), index_(index), progress_(progress),
      queue_(static_cast<std::size_t>(threads) + 2) {
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ChunkWriterPool::~ChunkWriterPool() {
  queue_.Close();
  for (auto& t : workers_) {
    if (t.joinable()) t.join();
  }
}

void ChunkWriterPool::RecordError(Status s) {
  std::lock_guard lock(mu_);
  if (first_error_.ok()) first_error_ = std::move(s);
}

Result<std::size_t> ChunkWriterPool::Submit(Bytes plaintext) {
  auto owned = std::make_shared<const Bytes>(std::move(plaintext));
  ByteSpan all(*owned);
  return Enqueue(Task{std::move(owned), all, nullptr});
}

Result<std::size_t> ChunkWriterPool::Submit(std::shared_ptr<const Bytes> buffer, ByteSpan chunk) {
  return Enqueue(Task{std::move(buffer), chunk, nullptr});
}

Result<std::size_t> ChunkWriterPool::Enqueue(Task task) {
  {
    std::lock_guard lock(mu_);
    if (!first_error_.ok()) return first_error_;
  }
  std::size_t slot;
  {
    std::lock_guard lock(ids_mu_);
    slot = ids_.size();
    ids_.emplace_back();
    task.id_out = &ids_.back();
  }
  if (!queue_.Push(std::move(task))) return Status::Cancelled("chunk writer pool is closed");
  return slot;
}

Status ChunkWriterPool::Finish() {
  queue_.Close();
  for (auto& t : workers_) {
    if (t.joinable()) t.join();
  }
  std::lock_guard lock(mu_);
  finished_ = true;
  return first_error_;
}

void ChunkWriterPool::WorkerLoop() {
  // Per-thread crypto contexts: cheap to build, never shared.
  ChunkHasher hasher(store_.keys().id);
  ObjectSealer sealer(store_.keys().data, store_.config().zstd_level);
  while (auto task = queue_.Pop()) {
    {
      std::lock_guard lock(mu_);
      if (!first_error_.ok()) continue;  // drain quickly after a failure
    }
    ChunkId id = hasher.Hash(task->data);
    *task->id_out = id;
    if (progress_) progress_->Add(progress_->chunks_done, 1);
    if (!index_.InsertIfAbsent(id)) continue;  // deduplicated
    auto sealed = sealer.Seal(ObjectType::kChunk, id.bytes, task->data);
    if (!sealed.ok()) {
      RecordError(sealed.error().WithContext("seal chunk " + id.Hex()));
      continue;
    }
    auto written = store_.WriteChunk(id, *sealed);
    if (!written.ok()) {
      RecordError(written.error());
      continue;
    }
    if (progress_) {
      progress_->Add(progress_->bytes_new, task->data.size());
      progress_->Add(progress_->bytes_stored, *written);
    }
    std::lock_guard lock(mu_);
    new_chunks_.push_back(NewChunk{id, task->data.size(), *written});
  }
}

}  // namespace cairn
