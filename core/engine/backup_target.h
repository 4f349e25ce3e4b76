// BackupTarget: where a backup's chunks and manifest go. The engine's data
// path (walker, chunkers, ChunkWriterPool) is the same whether the target is
// a local Store (LocalBackupTarget) or an appliance over the network (the
// agent's upload target); only what happens to a new chunk and to the
// finished manifest differs.
//
// Thread-safety: the BackupTarget methods are called from the backup's
// coordinating thread; each ChunkSink is used by one worker thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/chunk_id.h"
#include "core/catalog/catalog.h"
#include "core/chunking/chunker.h"
#include "core/crypto/keys.h"
#include "core/engine/progress.h"
#include "core/store/manifest.h"

namespace cairn {

// What a client needs to cut, name and encode chunks exactly as the store
// does, so its chunks deduplicate against everything already stored. It holds
// the id key and the gear table, never the data key: an enrolled agent gets
// these and still cannot read the store.
struct DedupParams {
  ChunkerParams chunker;
  std::uint32_t pack_below = 0;
  int zstd_level = 2;
  IdKey id_key;
  GearTable gear_table{};
};

// Receives the chunks this backup claimed (first sighting in this backup).
class ChunkSink {
 public:
  virtual ~ChunkSink() = default;
  // `plaintext` lies in `owner`, which a batching sink keeps alive until the
  // chunk is sent. Returns the first error of this sink (the backup stops).
  virtual Status Put(const ChunkId& id, std::shared_ptr<const Bytes> owner, ByteSpan plaintext) = 0;
  // Sends anything queued; called once, by the worker, at the end.
  virtual Status Flush() = 0;
  // The chunks that were new to the target, with their sizes (after Flush).
  std::vector<NewChunk> TakeNewChunks() { return std::move(new_chunks_); }
  void set_progress(JobProgress* progress) { progress_ = progress; }

 protected:
  // Implementations call this for each chunk the target did not have.
  void RecordNew(const NewChunk& c) {
    new_chunks_.push_back(c);
    if (progress_) {
      progress_->Add(progress_->bytes_new, c.plain_size);
      progress_->Add(progress_->bytes_stored, c.stored_size);
    }
  }

 private:
  std::vector<NewChunk> new_chunks_;
  JobProgress* progress_ = nullptr;
};

// The snapshot whose entries feed the files cache.
struct ParentSnapshot {
  std::string id;
  Manifest manifest;
};

class BackupTarget {
 public:
  virtual ~BackupTarget() = default;
  virtual const DedupParams& dedup() const = 0;
  // Chunk ids known to be stored already (skipped without asking). A remote
  // target may return none and ask the appliance in batches instead.
  virtual Result<std::vector<ChunkId>> KnownChunkIds() = 0;
  // True when KnownChunkIds is every chunk the target holds (a local store):
  // then a files-cache entry naming a chunk outside it (garbage-collected,
  // quarantined by verify) is read again rather than reused.
  virtual bool KnownChunkIdsComplete() const { return false; }
  // The newest snapshot named `name`, or nullopt. A failure is a warning (the
  // backup reads every file), so it is returned as a status to report.
  virtual Result<std::optional<ParentSnapshot>> FindParent(const std::string& name) = 0;
  // One sink per worker thread.
  virtual Result<std::unique_ptr<ChunkSink>> NewChunkSink() = 0;
  // Makes every chunk durable, then the manifest, then the index row: after a
  // crash the snapshot is wholly visible or absent. `manifest.snapshot_id`
  // may be replaced (an appliance names snapshots itself). Returns the
  // stored manifest size.
  virtual Result<std::uint64_t> Commit(Manifest& manifest, const std::vector<NewChunk>& new_chunks,
                                       const std::vector<ChunkId>& referenced) = 0;
};

}  // namespace cairn
