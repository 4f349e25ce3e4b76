#include "sync/engine/target_replicator.h"

#include <algorithm>
#include <thread>

#include "core/base/file_system.h"
#include "core/base/log.h"
#include "core/base/utc_time.h"
#include "core/crypto/digest.h"
#include "sync/target/replica_layout.h"

namespace cairn {
namespace {

constexpr std::size_t kRecordBatch = 32;  // acknowledged chunks per catalog commit

// The distinct chunks of a manifest, in the order the tree uses them (so a
// restore from a half-replicated snapshot would need the earliest first).
std::vector<ChunkId> DistinctChunks(const Manifest& manifest) {
  std::unordered_set<ChunkId, ChunkIdHash> seen;
  std::vector<ChunkId> out;
  for (const TreeEntry& e : manifest.entries) {
    for (const ChunkSlice& s : e.content) {
      if (seen.insert(s.id).second) out.push_back(s.id);
    }
  }
  return out;
}

}  // namespace

bool InReplicationWindow(const ReplicationPolicy& policy, std::int64_t unix_ns) {
  if (policy.windows.empty()) return true;
  const int minute = static_cast<int>((unix_ns / kNanosPerSecond / 60) % (24 * 60));
  return std::any_of(policy.windows.begin(), policy.windows.end(),
                     [minute](const TimeWindow& w) { return w.Contains(minute); });
}

TargetReplicator::TargetReplicator(TargetSpec spec, LocalStore local, ReplicationCatalog& catalog,
                                   TargetFactory factory, Clock& clock)
    : spec_(std::move(spec)),
      local_(std::move(local)),
      catalog_(catalog),
      factory_(std::move(factory)),
      clock_(clock),
      // Burst: a quarter second of the rate, at least one largest chunk, so
      // the first upload after a pause is not held back for nothing.
      bucket_(spec_.policy.bandwidth_limit,
              std::max<std::uint64_t>(spec_.policy.bandwidth_limit / 4, 1)) {}

Result<TargetReplicator::Queue> TargetReplicator::ReadQueue() {
  std::vector<SnapshotRecord> all;
  CAIRN_RETURN_IF_ERROR(local_.with_catalog([&](Catalog& c) -> Status {
    CAIRN_ASSIGN_OR_RETURN(all, c.ListSnapshots());
    return Status::Ok();
  }));
  CAIRN_ASSIGN_OR_RETURN(auto replicated, catalog_.ReplicatedSnapshots(spec_.name));
  std::unordered_set<std::string> done;
  for (const ReplicatedSnapshot& r : replicated) done.insert(r.snapshot_id);
  Queue queue;
  for (SnapshotRecord& r : all) {
    if (!done.contains(r.id)) {
      queue.pending.push_back(std::move(r));
    } else {
      queue.newest_replicated_created_unix_ns =
          std::max(queue.newest_replicated_created_unix_ns.value_or(r.created_unix_ns), r.created_unix_ns);
    }
  }
  // ListSnapshots is oldest first.
  if (spec_.policy.order == ReplicationOrder::kNewestFirst) {
    std::reverse(queue.pending.begin(), queue.pending.end());
  }
  return queue;
}

Result<std::vector<SnapshotRecord>> TargetReplicator::Pending() {
  CAIRN_ASSIGN_OR_RETURN(Queue queue, ReadQueue());
  return std::move(queue.pending);
}

Status TargetReplicator::LoadKnown() {
  if (known_loaded_) return Status::Ok();
  CAIRN_ASSIGN_OR_RETURN(auto known, catalog_.KnownChunks(spec_.name));
  std::lock_guard lock(known_mu_);
  known_ = std::move(known);
  known_loaded_ = true;
  return Status::Ok();
}

Result<std::uint64_t> TargetReplicator::PendingBytes(const std::vector<SnapshotRecord>& pending) {
  CAIRN_RETURN_IF_ERROR(LoadKnown());
  std::vector<std::string> ids;
  for (const SnapshotRecord& r : pending) ids.push_back(r.id);
  std::size_t known_size;
  {
    std::lock_guard lock(known_mu_);
    known_size = known_.size();
  }
  if (pending_bytes_cache_ && pending_bytes_cache_->snapshot_ids == ids &&
      pending_bytes_cache_->known_size == known_size) {
    return pending_bytes_cache_->bytes;
  }
  std::unordered_set<ChunkId, ChunkIdHash> counted;
  std::uint64_t bytes = 0;
  for (const SnapshotRecord& r : pending) {
    auto manifest = local_.store.ReadManifest(r.name, r.id);
    if (!manifest.ok()) continue;  // the pass reports it; the queue figure is an estimate
    for (const ChunkId& id : DistinctChunks(*manifest)) {
      {
        std::lock_guard lock(known_mu_);
        if (known_.contains(id)) continue;
      }
      if (!counted.insert(id).second) continue;
      auto size = local_.store.fs().FileSize(local_.store.ChunkPath(id));
      if (size.ok()) bytes += *size;
    }
    bytes += r.manifest_bytes;
  }
  pending_bytes_cache_ = PendingBytesCache{std::move(ids), known_size, bytes};
  return bytes;
}

Status TargetReplicator::EnsureKnownLoaded(ReplicaTarget& target) {
  CAIRN_RETURN_IF_ERROR(LoadKnown());
  CAIRN_ASSIGN_OR_RETURN(auto inventoried, catalog_.GetTargetMeta(spec_.name, "inventory_unix_ns"));
  if (inventoried) return Status::Ok();
  // First contact: learn what the target already holds, page by page.
  std::vector<ChunkId> batch;
  std::uint64_t found = 0;
  Status s = target.List(kReplicaChunksPrefix, [&](std::string_view key, std::uint64_t) -> Status {
    auto id = ParseReplicaChunkKey(key);
    if (!id) return Status::Ok();
    ++found;
    {
      std::lock_guard lock(known_mu_);
      known_.insert(*id);
    }
    batch.push_back(*id);
    if (batch.size() >= 1000) {
      CAIRN_RETURN_IF_ERROR(catalog_.RecordChunks(spec_.name, batch));
      batch.clear();
    }
    return Status::Ok();
  });
  if (s.ok()) s = catalog_.RecordChunks(spec_.name, batch);
  if (s.ok()) s = catalog_.SetTargetMeta(spec_.name, "inventory_unix_ns", std::to_string(clock_.NowUnixNanos()));
  if (s.ok()) {
    Log(LogLevel::kInfo, "replication.inventory",
        {{"target", spec_.name}, {"chunks_found", std::to_string(found)}});
  }
  return s;
}

Status TargetReplicator::SendConfig(ReplicaTarget& target) {
  CAIRN_ASSIGN_OR_RETURN(Bytes config, ReadWholeFile(local_.store.fs(), local_.store.dir() / "config",
                                                     StoreConfig::kMaxConfigBytes));
  CAIRN_ASSIGN_OR_RETURN(const std::string hex, Sha256Hex(config));
  CAIRN_ASSIGN_OR_RETURN(auto sent, catalog_.GetTargetMeta(spec_.name, "config_sha256"));
  if (sent && *sent == hex) return Status::Ok();
  // The config is small and changes only when a key slot is added; it goes
  // first so that a replica is openable as soon as its first snapshot lands.
  CAIRN_RETURN_IF_ERROR(target.Put(kReplicaConfigKey, config, {}));
  progress_.bytes_sent += config.size();
  ++progress_.objects_sent;
  return catalog_.SetTargetMeta(spec_.name, "config_sha256", hex);
}

std::optional<std::int64_t> TargetReplicator::RetainUntil(const SnapshotRecord& snapshot,
                                                           bool supports_locks) const {
  if (!supports_locks || spec_.kind != TargetKind::kS3 || spec_.s3.object_lock_days <= 0) {
    return std::nullopt;
  }
  return snapshot.created_unix_ns / kNanosPerSecond +
         static_cast<std::int64_t>(spec_.s3.object_lock_days) * 86400;
}

Status TargetReplicator::SendChunks(const std::vector<ChunkId>& ids,
                                    std::optional<std::int64_t> retain_until,
                                    const std::atomic<bool>& stop, PassReport& report) {
  if (ids.empty()) return Status::Ok();
  const std::size_t streams =
      std::min<std::size_t>(static_cast<std::size_t>(spec_.policy.streams), ids.size());
  while (targets_.size() < streams) {
    CAIRN_ASSIGN_OR_RETURN(auto t, factory_(spec_));
    targets_.push_back(std::move(t));
  }
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;  // guards first_error, unrecorded, report
  Status first_error;
  std::vector<ChunkId> unrecorded;
  auto flush = [&](bool force) -> Status {  // with mu held
    if (unrecorded.empty() || (!force && unrecorded.size() < kRecordBatch)) return Status::Ok();
    Status s = catalog_.RecordChunks(spec_.name, unrecorded);
    unrecorded.clear();
    return s;
  };
  auto stream = [&](ReplicaTarget& target) {
    for (;;) {
      if (failed.load() || stop.load()) return;
      const std::size_t i = next++;
      if (i >= ids.size()) return;
      const ChunkId& id = ids[i];
      Status s;
      auto sealed = local_.store.ReadSealedChunk(id);
      if (!sealed.ok()) s = sealed.error();
      if (s.ok()) s = bucket_.Acquire(sealed->size(), stop);
      if (s.ok()) {
        PutOptions options;
        options.retain_until_unix = retain_until;
        s = target.Put(ReplicaChunkKey(id), *sealed, options);
      }
      std::lock_guard lock(mu);
      if (!s.ok()) {
        if (!s.IsCancelled()) ++progress_.upload_failures;
        if (first_error.ok()) first_error = s.WithContext("chunk " + id.Hex());
        failed = true;
        return;
      }
      {
        std::lock_guard known_lock(known_mu_);
        known_.insert(id);
      }
      unrecorded.push_back(id);
      ++report.chunks_sent;
      report.bytes_sent += sealed->size();
      progress_.bytes_sent += sealed->size();
      progress_.pass_bytes_sent += sealed->size();
      ++progress_.chunks_sent;
      ++progress_.objects_sent;
      if (Status r = flush(false); !r.ok() && first_error.ok()) {
        first_error = r;
        failed = true;
      }
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t t = 1; t < streams; ++t) threads.emplace_back(stream, std::ref(*targets_[t]));
  stream(*targets_[0]);
  for (std::thread& t : threads) t.join();
  // What was acknowledged is recorded even when another stream failed.
  std::lock_guard lock(mu);
  Status recorded = flush(true);
  if (!first_error.ok()) return first_error;
  if (!recorded.ok()) return recorded;
  if (stop.load()) return Status::Cancelled("replication stopped");
  return Status::Ok();
}

Result<PassReport> TargetReplicator::RunPass(bool supports_locks, const std::atomic<bool>& stop) {
  PassReport report;
  progress_.pass_bytes_sent = 0;
  progress_.pass_started_mono_ns = clock_.MonotonicNanos();
  if (targets_.empty()) {
    CAIRN_ASSIGN_OR_RETURN(auto t, factory_(spec_));
    targets_.push_back(std::move(t));
  }
  ReplicaTarget& main = *targets_[0];
  CAIRN_RETURN_IF_ERROR(SendConfig(main));
  CAIRN_RETURN_IF_ERROR(EnsureKnownLoaded(main));
  CAIRN_ASSIGN_OR_RETURN(std::vector<SnapshotRecord> pending, Pending());
  for (const SnapshotRecord& snapshot : pending) {
    if (stop.load()) {
      report.stopped_early = "stopping";
      return report;
    }
    if (!InReplicationWindow(spec_.policy, clock_.NowUnixNanos())) {
      report.stopped_early = "outside the replication window";
      return report;
    }
    CAIRN_ASSIGN_OR_RETURN(Manifest manifest, local_.store.ReadManifest(snapshot.name, snapshot.id));
    std::vector<ChunkId> missing;
    {
      std::lock_guard lock(known_mu_);
      for (const ChunkId& id : DistinctChunks(manifest)) {
        if (known_.contains(id)) {
          ++report.chunks_already_there;
        } else {
          missing.push_back(id);
        }
      }
    }
    const auto retain_until = RetainUntil(snapshot, supports_locks);
    const std::uint64_t before = report.bytes_sent;
    Status s = SendChunks(missing, retain_until, stop, report);
    if (s.IsCancelled()) {
      report.stopped_early = "stopping";
      return report;
    }
    CAIRN_RETURN_IF_ERROR(s.WithContext("replicate snapshot " + snapshot.id + " to " + spec_.name));
    // Manifest last: the snapshot exists on the target only once all of its
    // chunks do.
    CAIRN_ASSIGN_OR_RETURN(Bytes sealed_manifest,
                           ReadWholeFile(local_.store.fs(), local_.store.ManifestPath(snapshot.name, snapshot.id),
                                         Manifest::kMaxSealedBytes));
    CAIRN_RETURN_IF_ERROR(bucket_.Acquire(sealed_manifest.size(), stop));
    PutOptions options;
    options.retain_until_unix = retain_until;
    CAIRN_RETURN_IF_ERROR(main.Put(ReplicaManifestKey(snapshot.name, snapshot.id), sealed_manifest, options)
                              .WithContext("replicate manifest of " + snapshot.id + " to " + spec_.name));
    report.bytes_sent += sealed_manifest.size();
    progress_.bytes_sent += sealed_manifest.size();
    progress_.pass_bytes_sent += sealed_manifest.size();
    ++progress_.objects_sent;
    CAIRN_RETURN_IF_ERROR(
        catalog_.MarkSnapshotReplicated(spec_.name, snapshot.id, report.bytes_sent - before));
    ++report.snapshots_replicated;
    ++progress_.snapshots_replicated;
    Log(LogLevel::kInfo, "replication.snapshot",
        {{"target", spec_.name}, {"snapshot", snapshot.id},
         {"bytes_sent", std::to_string(report.bytes_sent - before)},
         {"chunks_sent", std::to_string(missing.size())}});
  }
  report.complete = true;
  return report;
}

}  // namespace cairn
