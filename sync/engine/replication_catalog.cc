#include "sync/engine/replication_catalog.h"

#include "core/base/log.h"
#include "core/catalog/migrations.h"
#include "core/catalog/sqlite_db.h"
#include "core/catalog/sqlite_statement.h"
#include "core/catalog/transaction.h"

namespace cairn {
namespace {

// v4 brought the replication tables, v5 their lock columns.
constexpr int kReplicationSchemaVersion = 5;

// Per-target engine settings live in the catalog's meta table under this
// prefix (meta is the catalog's small key/value table since v1): a target's
// removal deletes them with its rows.
std::string MetaKey(std::string_view target, std::string_view key) {
  return "sync." + std::string(target) + "." + std::string(key);
}

}  // namespace

std::string_view TargetStateName(TargetState state) {
  switch (state) {
    case TargetState::kUnknown: return "unknown";
    case TargetState::kUp: return "up";
    case TargetState::kDown: return "down";
    case TargetState::kDegraded: return "degraded";
  }
  return "unknown";
}

ReplicationCatalog::ReplicationCatalog(std::unique_ptr<SqliteDb> db, Clock& clock)
    : db_(std::move(db)), clock_(clock) {}
ReplicationCatalog::~ReplicationCatalog() = default;

Result<std::unique_ptr<ReplicationCatalog>> ReplicationCatalog::Open(
    const std::filesystem::path& catalog_db, Clock& clock) {
  CAIRN_ASSIGN_OR_RETURN(auto db,
                         OpenMigratedCatalog(catalog_db, kReplicationSchemaVersion, "replication"));
  return std::unique_ptr<ReplicationCatalog>(new ReplicationCatalog(std::move(db), clock));
}

Status ReplicationCatalog::AddTarget(const TargetSpec& spec) {
  CAIRN_RETURN_IF_ERROR(spec.Validate());
  std::lock_guard lock(mu_);
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt,
                         db_->Prepare("INSERT INTO replication_targets (name, kind, spec, "
                                      "created_unix_ns, updated_unix_ns) VALUES (?, ?, ?, ?, ?) "
                                      "ON CONFLICT (name) DO NOTHING"));
  const std::int64_t now = clock_.NowUnixNanos();
  CAIRN_RETURN_IF_ERROR(stmt.BindText(1, spec.name));
  CAIRN_RETURN_IF_ERROR(stmt.BindText(2, TargetKindName(spec.kind)));
  CAIRN_RETURN_IF_ERROR(stmt.BindText(3, spec.ToJson().dump()));
  CAIRN_RETURN_IF_ERROR(stmt.BindInt64(4, now));
  CAIRN_RETURN_IF_ERROR(stmt.BindInt64(5, now));
  CAIRN_RETURN_IF_ERROR(stmt.Run());
  if (db_->changes() == 0) {
    return Status::AlreadyExists("target '" + spec.name +
                                 "' already exists; remove it first or pick another name");
  }
  return Status::Ok();
}

Status ReplicationCatalog::RemoveTarget(std::string_view name) {
  std::lock_guard lock(mu_);
  CAIRN_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement del,
                         db_->Prepare("DELETE FROM replication_targets WHERE name = ?"));
  CAIRN_RETURN_IF_ERROR(del.BindText(1, name));
  CAIRN_RETURN_IF_ERROR(del.Run());
  if (db_->changes() == 0) {
    return Status::NotFound("no target named '" + std::string(name) + "' (see `cairnctl target list`)");
  }
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement meta, db_->Prepare("DELETE FROM meta WHERE key LIKE ? ESCAPE '\\'"));
  std::string pattern;
  for (char c : MetaKey(name, "")) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += c;
  }
  CAIRN_RETURN_IF_ERROR(meta.BindText(1, pattern + "%"));
  CAIRN_RETURN_IF_ERROR(meta.Run());
  return tx.Commit();
}

Result<std::vector<TargetSpec>> ReplicationCatalog::ListTargets() {
  std::lock_guard lock(mu_);
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt,
                         db_->Prepare("SELECT name, spec FROM replication_targets ORDER BY name"));
  std::vector<TargetSpec> out;
  for (;;) {
    CAIRN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    const auto j = nlohmann::json::parse(stmt.ColumnText(1), nullptr, false);
    std::vector<std::string> obsolete;
    auto spec = TargetSpec::FromJson(j, &obsolete);
    if (!spec.ok()) {
      return db_->CorruptionError("replication_targets row '" + stmt.ColumnText(0) +
                                  "': " + spec.error().message());
    }
    if (!obsolete.empty() && warned_obsolete_.insert(spec->name).second) {
      for (const std::string& field : obsolete) {
        Log(LogLevel::kWarn, "replication.target_spec_field_ignored",
            {{"target", spec->name},
             {"field", field},
             {"why",
              "a replica's Object Lock retain-until now comes from each snapshot's "
              "retention lock"}});
      }
    }
    out.push_back(std::move(*spec));
  }
  return out;
}

Result<std::optional<TargetSpec>> ReplicationCatalog::GetTarget(std::string_view name) {
  CAIRN_ASSIGN_OR_RETURN(auto all, ListTargets());
  for (TargetSpec& t : all) {
    if (t.name == name) return std::optional<TargetSpec>(std::move(t));
  }
  return std::optional<TargetSpec>();
}

Status ReplicationCatalog::RecordChunks(std::string_view target, const std::vector<ChunkId>& ids,
                                        std::int64_t retain_until_unix_ns) {
  if (ids.empty()) return Status::Ok();
  std::lock_guard lock(mu_);
  CAIRN_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
  // Retention only grows: the target (COMPLIANCE) would not shorten it either.
  CAIRN_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      db_->Prepare(
          "INSERT INTO replica_chunks (target, chunk_id, retain_until_unix_ns) "
          "VALUES (?, ?, ?) ON CONFLICT (target, chunk_id) DO UPDATE SET "
          "retain_until_unix_ns = max(retain_until_unix_ns, excluded.retain_until_unix_ns)"));
  for (const ChunkId& id : ids) {
    CAIRN_RETURN_IF_ERROR(stmt.BindText(1, target));
    CAIRN_RETURN_IF_ERROR(stmt.BindBlob(2, id.bytes));
    CAIRN_RETURN_IF_ERROR(stmt.BindInt64(3, retain_until_unix_ns));
    CAIRN_RETURN_IF_ERROR(stmt.Run());
  }
  return tx.Commit();
}

Result<KnownChunkMap> ReplicationCatalog::KnownChunks(std::string_view target) {
  std::lock_guard lock(mu_);
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt,
                         db_->Prepare("SELECT chunk_id, retain_until_unix_ns FROM replica_chunks "
                                      "WHERE target = ?"));
  CAIRN_RETURN_IF_ERROR(stmt.BindText(1, target));
  KnownChunkMap out;
  for (;;) {
    CAIRN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    ByteSpan blob = stmt.ColumnBlob(0);
    if (blob.size() != ChunkId::kSize) return db_->CorruptionError("replica_chunks: bad chunk id");
    ChunkId id;
    std::copy(blob.begin(), blob.end(), id.bytes.begin());
    out.emplace(id, stmt.ColumnInt64(1));
  }
  return out;
}

Status ReplicationCatalog::MarkSnapshotReplicated(std::string_view target,
                                                  std::string_view snapshot_id,
                                                  std::uint64_t bytes_sent,
                                                  std::int64_t lock_until_unix_ns) {
  std::lock_guard lock(mu_);
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt,
                         db_->Prepare("INSERT OR REPLACE INTO replica_snapshots (target, "
                                      "snapshot_id, replicated_unix_ns, bytes_sent, "
                                      "lock_until_unix_ns) VALUES (?, ?, ?, ?, ?)"));
  CAIRN_RETURN_IF_ERROR(stmt.BindText(1, target));
  CAIRN_RETURN_IF_ERROR(stmt.BindText(2, snapshot_id));
  CAIRN_RETURN_IF_ERROR(stmt.BindInt64(3, clock_.NowUnixNanos()));
  CAIRN_RETURN_IF_ERROR(stmt.BindUint64(4, bytes_sent));
  CAIRN_RETURN_IF_ERROR(stmt.BindInt64(5, lock_until_unix_ns));
  return stmt.Run();
}

Status ReplicationCatalog::RaiseReplicaLock(std::string_view target, std::string_view snapshot_id,
                                            std::int64_t lock_until_unix_ns) {
  std::lock_guard lock(mu_);
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt,
                         db_->Prepare("UPDATE replica_snapshots SET lock_until_unix_ns = "
                                      "max(lock_until_unix_ns, ?) WHERE target = ? AND "
                                      "snapshot_id = ?"));
  CAIRN_RETURN_IF_ERROR(stmt.BindInt64(1, lock_until_unix_ns));
  CAIRN_RETURN_IF_ERROR(stmt.BindText(2, target));
  CAIRN_RETURN_IF_ERROR(stmt.BindText(3, snapshot_id));
  CAIRN_RETURN_IF_ERROR(stmt.Run());
  if (db_->changes() == 0) {
    return Status::NotFound("target '" + std::string(target) + "' does not hold snapshot " +
                            std::string(snapshot_id));
  }
  return Status::Ok();
}

Result<std::vector<ReplicatedSnapshot>> ReplicationCatalog::ReplicatedSnapshots(
    std::string_view target) {
  std::lock_guard lock(mu_);
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt,
                         db_->Prepare("SELECT snapshot_id, replicated_unix_ns, bytes_sent, "
                                      "lock_until_unix_ns FROM replica_snapshots WHERE target = ? "
                                      "ORDER BY replicated_unix_ns"));
  CAIRN_RETURN_IF_ERROR(stmt.BindText(1, target));
  std::vector<ReplicatedSnapshot> out;
  for (;;) {
    CAIRN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    ReplicatedSnapshot r;
    r.snapshot_id = stmt.ColumnText(0);
    r.replicated_unix_ns = stmt.ColumnInt64(1);
    CAIRN_ASSIGN_OR_RETURN(r.bytes_sent, stmt.ColumnUint64(2));
    r.lock_until_unix_ns = stmt.ColumnInt64(3);
    out.push_back(std::move(r));
  }
  return out;
}

Result<bool> ReplicationCatalog::HoldsSnapshot(std::string_view target, std::string_view snapshot_id) {
  std::lock_guard lock(mu_);
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt,
                         db_->Prepare("SELECT 1 FROM replica_snapshots WHERE target = ? AND "
                                      "snapshot_id = ?"));
  CAIRN_RETURN_IF_ERROR(stmt.BindText(1, target));
  CAIRN_RETURN_IF_ERROR(stmt.BindText(2, snapshot_id));
  return stmt.Step();
}

Status ReplicationCatalog::SetTargetMeta(std::string_view target, std::string_view key,
                                         std::string_view value) {
  std::lock_guard lock(mu_);
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt,
                         db_->Prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)"));
  CAIRN_RETURN_IF_ERROR(stmt.BindText(1, MetaKey(target, key)));
  CAIRN_RETURN_IF_ERROR(stmt.BindText(2, value));
  return stmt.Run();
}

Result<std::optional<std::string>> ReplicationCatalog::GetTargetMeta(std::string_view target,
                                                                     std::string_view key) {
  std::lock_guard lock(mu_);
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt, db_->Prepare("SELECT value FROM meta WHERE key = ?"));
  CAIRN_RETURN_IF_ERROR(stmt.BindText(1, MetaKey(target, key)));
  CAIRN_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(stmt.ColumnText(0));
}

Status ReplicationCatalog::RecordEvent(std::string_view target, TargetState state,
                                       std::string_view detail) {
  std::lock_guard lock(mu_);
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt,
                         db_->Prepare("INSERT INTO target_events (target, at_unix_ns, state, "
                                      "detail) VALUES (?, ?, ?, ?)"));
  CAIRN_RETURN_IF_ERROR(stmt.BindText(1, target));
  CAIRN_RETURN_IF_ERROR(stmt.BindInt64(2, clock_.NowUnixNanos()));
  CAIRN_RETURN_IF_ERROR(stmt.BindText(3, state == TargetState::kUnknown
                                             ? std::string_view("down")
                                             : TargetStateName(state)));
  CAIRN_RETURN_IF_ERROR(stmt.BindText(4, detail.substr(0, 1024)));
  return stmt.Run();
}

Result<std::vector<TargetEvent>> ReplicationCatalog::Events(std::string_view target, int limit) {
  std::lock_guard lock(mu_);
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt,
                         db_->Prepare("SELECT at_unix_ns, state, detail FROM target_events WHERE "
                                      "target = ? ORDER BY seq DESC LIMIT ?"));
  CAIRN_RETURN_IF_ERROR(stmt.BindText(1, target));
  CAIRN_RETURN_IF_ERROR(stmt.BindInt64(2, limit));
  std::vector<TargetEvent> out;
  for (;;) {
    CAIRN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    TargetEvent e;
    e.at_unix_ns = stmt.ColumnInt64(0);
    const std::string s = stmt.ColumnText(1);
    e.state = s == "up" ? TargetState::kUp
              : s == "degraded" ? TargetState::kDegraded
                                : TargetState::kDown;
    e.detail = stmt.ColumnText(2);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace cairn
