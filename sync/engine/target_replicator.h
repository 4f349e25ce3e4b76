// TargetReplicator: one replication pass to one target -- the data path of
// ARCHITECTURE.md "sync": for each snapshot the target lacks (in the
// policy's order), send the chunks it lacks (ciphertext as stored, several
// streams, within the bandwidth limit), then the manifest, then record the
// snapshot as replicated. What the target holds is recorded in the catalog
// as each upload is acknowledged, so a pass cut off anywhere (link down,
// process killed) resumes without resending what arrived: at most the
// uploads in flight at the cut, one per stream, go again.
//
// The first pass to a target lists the chunks it already holds (a replica
// seeded by another appliance, or a catalog lost and rebuilt), so those are
// not sent either.
//
// Retention locks (issue 6): on an S3 target whose bucket has Object Lock, a
// locked snapshot's manifest and every chunk it references are retained in
// COMPLIANCE mode at least until the snapshot's lock_until (rounded up to
// the second): new uploads carry it, chunks already there under an earlier
// date (recorded in replica_chunks) get it through ExtendRetention. An
// unlocked snapshot's objects carry no lock headers (the bucket's default
// applies). A lock extended after the snapshot was replicated -- the
// catalog's lock is later than the one recorded for the target's copy -- is
// pending work "lock": the rewritten manifest goes up again (a new version)
// with the new date and the chunks are extended; appliance and directory
// targets only record it (an appliance peer is append-only already).
//
// A pass stops early, without error, when the time window closes or `stop`
// is set; it fails on the first upload error (the caller -- the
// ReplicationService's worker -- backs off and probes).
//
// Thread-safety: one pass at a time per object (the worker's thread); the
// streams are threads of RunPass; progress() may be read from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/base/clock.h"
#include "sync/engine/local_store.h"
#include "sync/engine/replication_catalog.h"
#include "sync/engine/token_bucket.h"
#include "sync/target/replica_target.h"

namespace cairn {

using TargetFactory = std::function<Result<std::unique_ptr<ReplicaTarget>>(const TargetSpec&)>;

// Live figures of a target's replication, updated by the streams.
struct ReplicationProgress {
  std::atomic<std::uint64_t> bytes_sent{0};   // payload bytes acknowledged, all passes
  std::atomic<std::uint64_t> objects_sent{0};
  std::atomic<std::uint64_t> chunks_sent{0};
  std::atomic<std::uint64_t> retentions_extended{0};  // chunks given a later retain-until
  std::atomic<std::uint64_t> snapshots_replicated{0};
  std::atomic<std::uint64_t> upload_failures{0};
  std::atomic<std::uint64_t> pass_bytes_sent{0};  // this pass (throughput)
  std::atomic<std::int64_t> pass_started_mono_ns{0};
};

struct PassReport {
  std::uint64_t snapshots_replicated = 0;
  std::uint64_t chunks_sent = 0;
  std::uint64_t chunks_already_there = 0;  // known from the catalog or the inventory
  std::uint64_t retentions_extended = 0;   // of those, chunks given a later retain-until
  std::uint64_t locks_extended = 0;        // held snapshots brought up to a later lock
  std::uint64_t bytes_sent = 0;
  bool complete = false;      // nothing left pending when the pass ended
  std::string stopped_early;  // why it stopped before the end ("" when it did not)
};

// Whether the policy's windows allow replication at `unix_ns` (UTC).
bool InReplicationWindow(const ReplicationPolicy& policy, std::int64_t unix_ns);

class TargetReplicator {
 public:
  TargetReplicator(TargetSpec spec, LocalStore local, ReplicationCatalog& catalog,
                   TargetFactory factory, Clock& clock);

  const TargetSpec& spec() const { return spec_; }
  ReplicationProgress& progress() { return progress_; }

  // Local snapshots the target does not hold yet, in the policy's order,
  // those it holds under a shorter lock than they have now, and the creation
  // time of the newest one it does hold -- from one listing of the local
  // catalog. ReadQueue alone, of this class, may be called from any thread
  // (it reads only the two catalogs, each locked).
  struct Queue {
    std::vector<SnapshotRecord> pending;
    std::vector<SnapshotRecord> locks;  // pending work "lock"
    std::optional<std::int64_t> newest_replicated_created_unix_ns;
  };
  Result<Queue> ReadQueue();
  Result<std::vector<SnapshotRecord>> Pending();  // ReadQueue().pending
  // Sealed bytes of the chunks `pending` need that the target lacks (as far
  // as the catalog knows), for the queue figure. Reading the manifests is
  // skipped while neither the pending set nor the known chunks changed (the
  // monitor asks on every probe of a target that may stay down for days).
  Result<std::uint64_t> PendingBytes(const std::vector<SnapshotRecord>& pending);

  // One pass. `supports_locks` comes from the probe that preceded it.
  Result<PassReport> RunPass(bool supports_locks, const std::atomic<bool>& stop);

  // Wakes streams waiting on the bandwidth limit (after `stop` was set).
  void Interrupt() { bucket_.Interrupt(); }

 private:
  Status LoadKnown();  // known_ from the catalog, once
  Status EnsureKnownLoaded(ReplicaTarget& target);
  Status SendConfig(ReplicaTarget& target);
  // One snapshot: `held` when the target has it already and only its lock
  // grew. Cancelled when `stop` was set.
  Status ReplicateSnapshot(const SnapshotRecord& snapshot, bool held, bool supports_locks,
                           const std::atomic<bool>& stop, PassReport& report);
  // Puts the chunks of `put` and extends the retention of those of `extend`
  // to retain_until (unix seconds), over the streams.
  Status SendChunks(const std::vector<ChunkId>& put, const std::vector<ChunkId>& extend,
                    std::optional<std::int64_t> retain_until, const std::atomic<bool>& stop,
                    PassReport& report);
  // The retain-until (unix seconds) the objects of a snapshot locked until
  // `lock_until_unix_ns` get on this target, if any.
  std::optional<std::int64_t> RetainUntil(std::int64_t lock_until_unix_ns,
                                          bool supports_locks) const;

  TargetSpec spec_;
  LocalStore local_;
  ReplicationCatalog& catalog_;
  TargetFactory factory_;
  Clock& clock_;
  TokenBucket bucket_;
  ReplicationProgress progress_;
  // Chunks the target holds and their retain-until; loaded from the catalog
  // on the first pass, then kept in step with it. Only the pass thread
  // touches it outside SendChunks, and SendChunks guards it with known_mu_.
  bool known_loaded_ = false;
  std::mutex known_mu_;
  KnownChunkMap known_;
  // PendingBytes' last answer and what it depended on (known_ only grows,
  // so its size tells whether it changed).
  struct PendingBytesCache {
    std::vector<std::string> snapshot_ids;
    std::size_t known_size = 0;
    std::uint64_t bytes = 0;
  };
  std::optional<PendingBytesCache> pending_bytes_cache_;
  // One target object per stream, opened on first use and kept across
  // passes (kept-alive connections); [0] also serves config and manifests.
  std::vector<std::unique_ptr<ReplicaTarget>> targets_;
  ReplicaTarget& main_target() { return *targets_[0]; }
};

}  // namespace cairn
