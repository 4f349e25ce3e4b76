#include "core/engine/chunk_writer_pool.h"

#include "core/crypto/chunk_hasher.h"

namespace cairn {

ChunkWriterPool::ChunkWriterPool(const IdKey& id_key, std::vector<std::unique_ptr<ChunkSink>> sinks,
                                 ChunkIndex& index, JobProgress* progress)
    : id_key_(id_key), sinks_(std::move(sinks)), index_(index), progress_(progress),
      queue_(sinks_.size() + 2) {
  for (auto& sink : sinks_) {
    ChunkSink* s = sink.get();
    s->set_progress(progress_);
    workers_.emplace_back([this, s] { WorkerLoop(*s); });
  }
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
  for (auto& sink : sinks_) {
    for (const NewChunk& c : sink->TakeNewChunks()) new_chunks_.push_back(c);
  }
  return first_error_;
}

void ChunkWriterPool::WorkerLoop(ChunkSink& sink) {
  ChunkHasher hasher(id_key_);  // per-thread context: cheap, never shared
  while (auto task = queue_.Pop()) {
    {
      std::lock_guard lock(mu_);
      if (!first_error_.ok()) continue;  // drain quickly after a failure
    }
    ChunkId id = hasher.Hash(task->data);
    *task->id_out = id;
    if (progress_) progress_->Add(progress_->chunks_done, 1);
    if (!index_.InsertIfAbsent(id)) continue;  // deduplicated
    Status s = sink.Put(id, std::move(task->buffer), task->data);
    if (!s.ok()) RecordError(std::move(s));
  }
  bool failed;
  {
    std::lock_guard lock(mu_);
    failed = !first_error_.ok();
  }
  if (!failed) {
    Status s = sink.Flush();
    if (!s.ok()) RecordError(std::move(s));
  }
}

}  // namespace cairn
