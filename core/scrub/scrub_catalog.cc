#include "core/scrub/scrub_catalog.h"

#include "core/catalog/sqlite_db.h"
#include "core/catalog/sqlite_statement.h"
#include "core/catalog/transaction.h"

namespace cairn {

Result<ChunkVerifyStates> LoadChunkVerifyStates(Catalog& catalog) {
  SqliteDb& db = catalog.db();
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt,
                         db.Prepare("SELECT id, plain_size, verified_unix_ns FROM chunks"));
  ChunkVerifyStates out;
  for (;;) {
    CAIRN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    auto id = ChunkId::FromBytes(stmt.ColumnBlob(0));
    if (!id) return db.CorruptionError("chunks: a row whose id is not 32 bytes");
    ChunkVerifyState state;
    CAIRN_ASSIGN_OR_RETURN(state.plain_size, stmt.ColumnUint64(1));
    if (!stmt.ColumnIsNull(2)) state.verified_unix_ns = stmt.ColumnInt64(2);
    out.emplace(*id, state);
  }
  return out;
}

Result<ChunkIdSet> QuarantinedChunkIds(Catalog& catalog) {
  SqliteDb& db = catalog.db();
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt,
                         db.Prepare("SELECT chunk_id FROM quarantined_chunks"));
  ChunkIdSet out;
  for (;;) {
    CAIRN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    auto id = ChunkId::FromBytes(stmt.ColumnBlob(0));
    if (!id) return db.CorruptionError("quarantined_chunks: a row whose id is not 32 bytes");
    out.insert(*id);
  }
  return out;
}

Status RecordQuarantine(Catalog& catalog, const ChunkId& id, std::int64_t unix_ns,
                        const std::string& problem, const std::string& file) {
  SqliteDb& db = catalog.db();
  // A file moved aside now replaces the row; a chunk found missing again
  // (typically because an earlier scrub moved it) keeps the first record.
  const char* sql = file.empty()
                        ? "INSERT OR IGNORE INTO quarantined_chunks "
                          "(chunk_id, quarantined_unix_ns, problem, file) VALUES (?1, ?2, ?3, ?4)"
                        : "INSERT OR REPLACE INTO quarantined_chunks "
                          "(chunk_id, quarantined_unix_ns, problem, file) VALUES (?1, ?2, ?3, ?4)";
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt, db.Prepare(sql));
  CAIRN_RETURN_IF_ERROR(stmt.BindBlob(1, id.bytes));
  CAIRN_RETURN_IF_ERROR(stmt.BindInt64(2, unix_ns));
  CAIRN_RETURN_IF_ERROR(stmt.BindText(3, problem.substr(0, 1000)));
  CAIRN_RETURN_IF_ERROR(stmt.BindText(4, file));
  return stmt.Run();
}

Status ClearQuarantine(Catalog& catalog, const std::vector<ChunkId>& ids) {
  if (ids.empty()) return Status::Ok();
  SqliteDb& db = catalog.db();
  CAIRN_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt,
                         db.Prepare("DELETE FROM quarantined_chunks WHERE chunk_id = ?1"));
  for (const ChunkId& id : ids) {
    stmt.Reset();
    CAIRN_RETURN_IF_ERROR(stmt.BindBlob(1, id.bytes));
    CAIRN_RETURN_IF_ERROR(stmt.Run());
  }
  return tx.Commit();
}

Status RecordSnapshotChecks(Catalog& catalog, const std::vector<SnapshotCheck>& checks,
                            std::int64_t unix_ns) {
  if (checks.empty()) return Status::Ok();
  SqliteDb& db = catalog.db();
  CAIRN_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  CAIRN_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      db.Prepare("INSERT OR REPLACE INTO snapshot_checks (snapshot_id, checked_unix_ns, state, "
                 "damaged_chunks, healed_chunks, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
  for (const SnapshotCheck& c : checks) {
    stmt.Reset();
    CAIRN_RETURN_IF_ERROR(stmt.BindText(1, c.snapshot_id));
    CAIRN_RETURN_IF_ERROR(stmt.BindInt64(2, unix_ns));
    CAIRN_RETURN_IF_ERROR(stmt.BindText(3, c.state));
    CAIRN_RETURN_IF_ERROR(stmt.BindUint64(4, c.damaged_chunks));
    CAIRN_RETURN_IF_ERROR(stmt.BindUint64(5, c.healed_chunks));
    CAIRN_RETURN_IF_ERROR(stmt.BindText(6, c.detail.substr(0, 1000)));
    CAIRN_RETURN_IF_ERROR(stmt.Run());
  }
  return tx.Commit();
}

Result<std::optional<SnapshotCheck>> GetSnapshotCheck(Catalog& catalog,
                                                      const std::string& snapshot_id) {
  SqliteDb& db = catalog.db();
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt,
                         db.Prepare("SELECT state, damaged_chunks, healed_chunks, detail "
                                    "FROM snapshot_checks WHERE snapshot_id = ?1"));
  CAIRN_RETURN_IF_ERROR(stmt.BindText(1, snapshot_id));
  CAIRN_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<SnapshotCheck>();
  SnapshotCheck c;
  c.snapshot_id = snapshot_id;
  c.state = stmt.ColumnText(0);
  CAIRN_ASSIGN_OR_RETURN(c.damaged_chunks, stmt.ColumnUint64(1));
  CAIRN_ASSIGN_OR_RETURN(c.healed_chunks, stmt.ColumnUint64(2));
  c.detail = stmt.ColumnText(3);
  return std::optional<SnapshotCheck>(std::move(c));
}

}  // namespace cairn
