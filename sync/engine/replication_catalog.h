// ReplicationCatalog: the replication tables of the store's catalog
// (schema v4, with v5's replica lock columns; docs/formats.md): which
// targets exist, which snapshots and chunks each holds and until when the
// target retains them, and the WAN monitor's history. The replication engine
// is its only writer; the admin API reads it.
//
// It opens its own connection to <store>/catalog.db, next to the engine's
// Catalog and the Registry (SQLite's lock arbitrates). Like the Registry it
// never migrates: Catalog::Open did that when the store was opened.
//
// Durability: RecordChunks commits once per call, so the engine calls it
// for every few acknowledged uploads: after a crash at most those few are
// sent again; after a cut link (process alive) none are.
//
// Thread-safety: every method may be called from any thread; one mutex
// serializes them (each is a few indexed statements).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/base/chunk_id.h"
#include "core/base/clock.h"
#include "core/base/status.h"
#include "sync/target/target_spec.h"

namespace cairn {

class SqliteDb;

enum class TargetState { kUnknown, kUp, kDown, kDegraded };
std::string_view TargetStateName(TargetState state);  // "unknown", "up", "down", "degraded"

struct TargetEvent {
  std::int64_t at_unix_ns = 0;
  TargetState state = TargetState::kUnknown;
  std::string detail;
};

struct ReplicatedSnapshot {
  std::string snapshot_id;
  std::int64_t replicated_unix_ns = 0;
  std::uint64_t bytes_sent = 0;
  // The snapshot lock the target's copy was made under (manifest re-sent,
  // chunks retained until it on a target with locks); 0 = none.
  std::int64_t lock_until_unix_ns = 0;
};

// Chunks a target holds -> until when it retains each (unix ns, whole
// seconds; 0 = no retention applied by us).
using KnownChunkMap = std::unordered_map<ChunkId, std::int64_t, ChunkIdHash>;

class ReplicationCatalog {
 public:
  static Result<std::unique_ptr<ReplicationCatalog>> Open(const std::filesystem::path& catalog_db,
                                                          Clock& clock = DefaultClock());
  ~ReplicationCatalog();

  // ---- targets ---------------------------------------------------------
  // AlreadyExists when the name is taken; the spec is validated first.
  Status AddTarget(const TargetSpec& spec);
  // NotFound for an unknown name. Removing a target forgets what it holds.
  Status RemoveTarget(std::string_view name);
  Result<std::vector<TargetSpec>> ListTargets();
  Result<std::optional<TargetSpec>> GetTarget(std::string_view name);

  // ---- progress --------------------------------------------------------
  // Records that `target` holds these chunks, retained until
  // `retain_until_unix_ns` (0: none); a chunk already recorded keeps the
  // later of its date and this one (one transaction).
  Status RecordChunks(std::string_view target, const std::vector<ChunkId>& ids,
                      std::int64_t retain_until_unix_ns = 0);
  Result<KnownChunkMap> KnownChunks(std::string_view target);
  // The target holds the snapshot whole, under `lock_until_unix_ns`.
  Status MarkSnapshotReplicated(std::string_view target, std::string_view snapshot_id,
                                std::uint64_t bytes_sent, std::int64_t lock_until_unix_ns = 0);
  // A held snapshot's copy now carries this (later) lock; a lower value
  // changes nothing. NotFound when the target does not hold the snapshot.
  Status RaiseReplicaLock(std::string_view target, std::string_view snapshot_id,
                          std::int64_t lock_until_unix_ns);
  Result<std::vector<ReplicatedSnapshot>> ReplicatedSnapshots(std::string_view target);
  Result<bool> HoldsSnapshot(std::string_view target, std::string_view snapshot_id);

  // ---- small per-target settings the engine keeps (config hash, inventory)
  Status SetTargetMeta(std::string_view target, std::string_view key, std::string_view value);
  Result<std::optional<std::string>> GetTargetMeta(std::string_view target, std::string_view key);

  // ---- WAN monitor history ------------------------------------------------
  Status RecordEvent(std::string_view target, TargetState state, std::string_view detail);
  // Newest first, at most `limit`.
  Result<std::vector<TargetEvent>> Events(std::string_view target, int limit);

 private:
  ReplicationCatalog(std::unique_ptr<SqliteDb> db, Clock& clock);
  std::unique_ptr<SqliteDb> db_;
  Clock& clock_;
  std::mutex mu_;
  // Targets whose stored spec has an obsolete field, already warned about
  // (once per target and process, not on every listing). Guarded by mu_.
  std::unordered_set<std::string> warned_obsolete_;
};

}  // namespace cairn
