#include "sync/engine/target_replicator.h"

#include <algorithm>
#include <thread>
#include <unordered_map>

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
  std::unordered_map<std::string, std::int64_t> held_lock;  // snapshot id -> its copy's lock
  for (const ReplicatedSnapshot& r : replicated) {
    held_lock.emplace(r.snapshot_id, r.lock_until_unix_ns);
  }
  Queue queue;
  for (SnapshotRecord& r : all) {
    auto held = held_lock.find(r.id);
    if (held == held_lock.end()) {
      queue.pending.push_back(std::move(r));
      continue;
    }
    queue.newest_replicated_created_unix_ns = std::max(
        queue.newest_replicated_created_unix_ns.value_or(r.created_unix_ns), r.created_unix_ns);
    // Extended since it was replicated (a lock only ever grows).
    if (r.lock_until_unix_ns > held->second) queue.locks.push_back(std::move(r));
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
      known_.emplace(*id, 0);  // retention unknown: extended when a lock needs it
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

std::optional<std::int64_t> TargetReplicator::RetainUntil(std::int64_t lock_until_unix_ns,
                                                          bool supports_locks) const {
  if (!supports_locks || spec_.kind != TargetKind::kS3 || lock_until_unix_ns <= 0) {
    return std::nullopt;
  }
  // Object Lock dates are whole seconds: rounded up, never retained for
  // less than the snapshot is locked.
  const std::int64_t until = (lock_until_unix_ns + kNanosPerSecond - 1) / kNanosPerSecond;
  // A lock already run out locks nothing (and S3 would refuse the date).
  if (until <= clock_.NowUnixNanos() / kNanosPerSecond) return std::nullopt;
  return until;
}

Status TargetReplicator::SendChunks(const std::vector<ChunkId>& put,
                                    const std::vector<ChunkId>& extend,
                                    std::optional<std::int64_t> retain_until,
                                    const std::atomic<bool>& stop, PassReport& report) {
  // One list, the extensions last: `i < put.size()` tells the two apart.
  std::vector<ChunkId> ids = put;
  if (retain_until) ids.insert(ids.end(), extend.begin(), extend.end());
  if (ids.empty()) return Status::Ok();
  const std::int64_t retain_ns = retain_until ? *retain_until * kNanosPerSecond : 0;
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
    Status s = catalog_.RecordChunks(spec_.name, unrecorded, retain_ns);
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
      bool upload = i < put.size();
      if (!upload) {
        // A few hundred bytes of XML: not counted against the bandwidth.
        s = target.ExtendRetention(ReplicaChunkKey(id), *retain_until);
        // The catalog said the target had it, the target says it has not
        // (removed by hand): it goes up again, with the lock.
        if (s.IsNotFound()) {
          upload = true;
          s = Status::Ok();
        }
      }
      Result<Bytes> sealed = Bytes();
      if (s.ok() && upload) {
        sealed = local_.store.ReadSealedChunk(id);
        if (!sealed.ok()) s = sealed.error();
        if (s.ok()) s = bucket_.Acquire(sealed->size(), stop);
        if (s.ok()) {
          PutOptions options;
          options.retain_until_unix = retain_until;
          s = target.Put(ReplicaChunkKey(id), *sealed, options);
        }
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
        std::int64_t& known_retain = known_[id];
        known_retain = std::max(known_retain, retain_ns);
      }
      unrecorded.push_back(id);
      if (!upload) {
        ++report.retentions_extended;
        ++progress_.retentions_extended;
      } else {
        ++report.chunks_sent;
        report.bytes_sent += sealed->size();
        progress_.bytes_sent += sealed->size();
        progress_.pass_bytes_sent += sealed->size();
        ++progress_.chunks_sent;
        ++progress_.objects_sent;
      }
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

Status TargetReplicator::ReplicateSnapshot(const SnapshotRecord& snapshot, bool held,
                                           bool supports_locks, const std::atomic<bool>& stop,
                                           PassReport& report) {
  const std::string what = (held ? "extend the lock of snapshot " : "replicate snapshot ") +
                           snapshot.id + " to " + spec_.name;
  if (held && spec_.kind != TargetKind::kS3) {
    // An appliance peer is append-only (its copy cannot be deleted from
    // here anyway) and a directory has no locks: the lock is recorded only.
    CAIRN_RETURN_IF_ERROR(
        catalog_.RaiseReplicaLock(spec_.name, snapshot.id, snapshot.lock_until_unix_ns)
            .WithContext(what));
    ++report.locks_extended;
    return Status::Ok();
  }
  CAIRN_ASSIGN_OR_RETURN(Manifest manifest, local_.store.ReadManifest(snapshot.name, snapshot.id));
  // While a lock is extended the manifest is rewritten and the catalog row
  // raised, not atomically together: the later of the two. Should the bytes
  // sent below still hold the earlier date, the row ends later than what is
  // recorded here and the next pass sends the manifest again.
  const std::int64_t lock_ns = std::max(snapshot.lock_until_unix_ns, manifest.lock_until_unix_ns);
  const auto retain_until = RetainUntil(lock_ns, supports_locks);
  const std::int64_t retain_ns = retain_until ? *retain_until * kNanosPerSecond : 0;
  std::vector<ChunkId> missing, shorter;
  {
    std::lock_guard lock(known_mu_);
    for (const ChunkId& id : DistinctChunks(manifest)) {
      auto known = known_.find(id);
      if (known == known_.end()) {
        missing.push_back(id);
        continue;
      }
      ++report.chunks_already_there;
      // Uploaded for an earlier snapshot, retained for less than this one.
      if (known->second < retain_ns) shorter.push_back(id);
    }
  }
  const std::uint64_t before = report.bytes_sent;
  const std::uint64_t sent_before = report.chunks_sent;
  const std::uint64_t extended_before = report.retentions_extended;
  Status s = SendChunks(missing, shorter, retain_until, stop, report);
  if (s.IsCancelled()) return s;
  CAIRN_RETURN_IF_ERROR(s.WithContext(what));
  // Manifest last: the snapshot exists on the target only once all of its
  // chunks do (and, locked, once they are all retained as long as it is).
  CAIRN_ASSIGN_OR_RETURN(
      Bytes sealed_manifest,
      ReadWholeFile(local_.store.fs(), local_.store.ManifestPath(snapshot.name, snapshot.id),
                    Manifest::kMaxSealedBytes));
  CAIRN_RETURN_IF_ERROR(bucket_.Acquire(sealed_manifest.size(), stop));
  PutOptions options;
  options.retain_until_unix = retain_until;
  CAIRN_RETURN_IF_ERROR(
      main_target()
          .Put(ReplicaManifestKey(snapshot.name, snapshot.id), sealed_manifest, options)
          .WithContext(what + ": manifest"));
  report.bytes_sent += sealed_manifest.size();
  progress_.bytes_sent += sealed_manifest.size();
  progress_.pass_bytes_sent += sealed_manifest.size();
  ++progress_.objects_sent;
  if (held) {
    CAIRN_RETURN_IF_ERROR(
        catalog_.RaiseReplicaLock(spec_.name, snapshot.id, lock_ns).WithContext(what));
    ++report.locks_extended;
  } else {
    CAIRN_RETURN_IF_ERROR(catalog_.MarkSnapshotReplicated(spec_.name, snapshot.id,
                                                          report.bytes_sent - before, lock_ns));
    ++report.snapshots_replicated;
    ++progress_.snapshots_replicated;
  }
  Log(LogLevel::kInfo, held ? "replication.lock_extended" : "replication.snapshot",
      {{"target", spec_.name},
       {"snapshot", snapshot.id},
       {"bytes_sent", std::to_string(report.bytes_sent - before)},
       {"chunks_sent", std::to_string(report.chunks_sent - sent_before)},
       {"retentions_extended", std::to_string(report.retentions_extended - extended_before)},
       {"retain_until", retain_until ? FormatUtc(*retain_until * kNanosPerSecond) : "none"}});
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
  CAIRN_RETURN_IF_ERROR(SendConfig(main_target()));
  CAIRN_RETURN_IF_ERROR(EnsureKnownLoaded(main_target()));
  CAIRN_ASSIGN_OR_RETURN(Queue queue, ReadQueue());
  // Extended locks first: each costs a manifest and a few small requests,
  // and a long backlog of new snapshots must not hold them back.
  std::vector<std::pair<const SnapshotRecord*, bool>> work;
  for (const SnapshotRecord& r : queue.locks) work.emplace_back(&r, true);
  for (const SnapshotRecord& r : queue.pending) work.emplace_back(&r, false);
  for (const auto& [snapshot, held] : work) {
    if (stop.load()) {
      report.stopped_early = "stopping";
      return report;
    }
    if (!InReplicationWindow(spec_.policy, clock_.NowUnixNanos())) {
      report.stopped_early = "outside the replication window";
      return report;
    }
    Status s = ReplicateSnapshot(*snapshot, held, supports_locks, stop, report);
    if (s.IsCancelled()) {
      report.stopped_early = "stopping";
      return report;
    }
    CAIRN_RETURN_IF_ERROR(s);
  }
  report.complete = true;
  return report;
}

}  // namespace cairn
