// ChunkIngest: the appliance's half of the upload protocol (docs/protocol.md).
//
//   Missing(ids)   which of these chunk ids the store lacks
//   Accept(frames) check each uploaded chunk against its id, seal, write
//   Commit(...)    make the chunks durable, then the manifest, then the row
//
// An agent cannot poison the store: a frame is stored only when its payload
// decodes to content whose keyed hash (id key) is the frame's id. It is then
// sealed as it came (no second compression) under the data key, which never
// leaves the appliance.
//
// What "present" means: chunks in the catalog, plus chunks received since
// this process started (`received_`, not yet in a committed snapshot). A
// received chunk may still be an unsynced temporary file; Commit makes it
// durable before the manifest. If the appliance dies first, the temporaries
// are lost and the next Missing() asks for them again -- which is why a
// resumed upload sends only what did not arrive, and why a commit naming a
// chunk the store does not have is refused with the list (the agent sends
// those and commits again).
//
// Thread-safety: Missing and Accept from any worker thread; Commit is
// serialized by the StoreService catalog lock.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "appliance/daemon/store_service.h"
#include "core/base/clock.h"
#include "core/engine/chunk_index.h"
#include "core/protocol/chunk_batch.h"

namespace cairn {

struct AcceptResult {
  std::uint64_t stored = 0;           // chunks written now
  std::uint64_t already_present = 0;  // frames for chunks the store had
  std::uint64_t bytes_received = 0;   // payload bytes in the batch
  std::uint64_t bytes_stored = 0;     // sealed bytes written
};

struct CommitOutcome {
  std::string snapshot_id;  // empty when refused for missing chunks
  std::uint64_t manifest_bytes = 0;
  std::uint64_t chunks_new = 0;
  std::uint64_t bytes_new = 0;
  std::uint64_t bytes_stored = 0;
  std::vector<ChunkId> missing;  // non-empty: nothing was committed
};

class ChunkIngest {
 public:
  // Loads the catalog's chunk ids once (the in-memory dedup index).
  static Result<std::unique_ptr<ChunkIngest>> Create(StoreService& service, Clock& clock);

  std::vector<ChunkId> Missing(const std::vector<ChunkId>& ids);
  // Frames before a refused one stay stored (they were valid).
  Result<AcceptResult> Accept(const std::vector<ChunkFrame>& frames);
  // Commits `manifest` (already parsed and validated) for `cluster`: the
  // appliance names the snapshot and stamps the time; the figures of new
  // chunks are the appliance's own.
  Result<CommitOutcome> Commit(Manifest manifest, const std::string& cluster);

  // Garbage collection's critical section for one unreferenced chunk: with
  // the catalog lock and then the received lock held (the order Commit
  // uses too), and only when no in-flight upload has sent the chunk since
  // this process started, the chunk stops being "present" and `remove`
  // runs (it deletes the catalog row if refcount is still 0 and unlinks the
  // file). Returns false when the chunk was kept (in flight, or `remove`
  // reported it is referenced again), true when removed. Holding both locks
  // means an Accept either saw the chunk present before (and a later commit
  // naming it is answered with a missing list) or writes it anew after the
  // unlink -- never "already there" for a file about to vanish.
  Result<bool> SweepChunk(const ChunkId& id, const std::function<Result<bool>(Catalog&)>& remove);
  // Verify quarantined the chunk: it is no longer present, so the next
  // upload of the same content stores it again (and heals the store).
  void Forget(const ChunkId& id);

  ChunkBatchLimits limits() const;
  std::size_t received_count();

 private:
  ChunkIngest(StoreService& service, Clock& clock) : service_(service), clock_(clock) {}
  bool Present(const ChunkId& id);

  StoreService& service_;
  Clock& clock_;
  ChunkIndex cataloged_;  // ids in the catalog (grows as commits land)
  std::mutex received_mu_;
  std::unordered_map<ChunkId, NewChunk, ChunkIdHash> received_;
};

}  // namespace cairn
