// ChunkWriterPool: the parallel half of the backup data path. The walker
// thread submits plaintext chunks (already cut by the chunker); N worker
// threads hash each (keyed chunk id), skip those already stored or claimed by
// this backup, and hand the rest to their ChunkSink (local: compress, encrypt,
// write; remote: ask the appliance and upload what it lacks). The queue between them is bounded, so
// memory stays bounded (≈ (queue + threads) × max chunk size) whatever the
// input size.
//
// Slots: Submit() returns a slot number at once; the chunk's id is known
// only after Finish(). The caller records slots and resolves them then.
// Thread-safety: Submit from any thread (the walker and its chunker
// threads); Finish from the walker once they are done.
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/base/bounded_queue.h"
#include "core/catalog/catalog.h"
#include "core/engine/backup_target.h"
#include "core/engine/chunk_index.h"
#include "core/engine/progress.h"

namespace cairn {

class ChunkWriterPool {
 public:
  // One worker per sink; `id_key` names the chunks.
  ChunkWriterPool(const IdKey& id_key, std::vector<std::unique_ptr<ChunkSink>> sinks,
                  ChunkIndex& index, JobProgress* progress);
  ~ChunkWriterPool();  // joins (after Finish, or abandoning the queue)
  ChunkWriterPool(const ChunkWriterPool&) = delete;
  ChunkWriterPool& operator=(const ChunkWriterPool&) = delete;

  // Queues one chunk; blocks while the queue is full. Fails fast with the
  // first worker error so a broken disk stops the walk early.
  Result<std::size_t> Submit(Bytes plaintext);
  // The same for a chunk that lies inside a shared buffer (a read block of
  // the walker): the task keeps the buffer alive instead of copying it.
  Result<std::size_t> Submit(std::shared_ptr<const Bytes> buffer, ByteSpan chunk);
  // Drains the queue, joins the workers; returns the first error.
  Status Finish();

  // Valid after Finish.
  const ChunkId& id(std::size_t slot) const { return ids_[slot]; }
  // Chunks new to the target (valid after Finish).
  const std::vector<NewChunk>& new_chunks() const { return new_chunks_; }

 private:
  struct Task {
    std::shared_ptr<const Bytes> buffer;  // owns the bytes of `data`
    ByteSpan data;
    ChunkId* id_out;  // points into ids_; std::deque never moves elements
  };
  Result<std::size_t> Enqueue(Task task);
  void WorkerLoop(ChunkSink& sink);
  void RecordError(Status s);

  const IdKey id_key_;
  std::vector<std::unique_ptr<ChunkSink>> sinks_;
  ChunkIndex& index_;
  JobProgress* progress_;
  BoundedQueue<Task> queue_;
  std::vector<std::thread> workers_;
  std::mutex ids_mu_;  // guards the growth of ids_ (elements are written by workers)
  std::deque<ChunkId> ids_;

  std::mutex mu_;  // guards the members below
  Status first_error_;
  std::vector<NewChunk> new_chunks_;
  bool finished_ = false;
};

}  // namespace cairn
