// Catalog: snapshot deletion and retention locks (see catalog.h for the
// three-step deletion and why it is crash-safe).
#include <algorithm>
#include <string>

#include "core/base/utc_time.h"
#include "core/catalog/catalog.h"
#include "core/catalog/sqlite_db.h"
#include "core/catalog/sqlite_statement.h"
#include "core/catalog/transaction.h"

namespace cairn {

Status Catalog::BeginSnapshotDeletion(std::string_view id, std::int64_t now_unix_ns) {
  const std::string what = "delete snapshot " + std::string(id);
  CAIRN_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
  CAIRN_ASSIGN_OR_RETURN(
      SqliteStatement find,
      db_->Prepare("SELECT lock_until_unix_ns FROM snapshots WHERE id = ?1 AND deleting = 0"));
  CAIRN_RETURN_IF_ERROR(find.BindText(1, id));
  CAIRN_ASSIGN_OR_RETURN(bool found, find.Step());
  if (!found) return Status::NotFound(what + ": no such snapshot");
  const std::int64_t lock_until = find.ColumnInt64(0);
  if (lock_until > now_unix_ns) {
    return Status::PermissionDenied(what + ": the snapshot is locked until " +
                                    FormatUtc(lock_until) +
                                    " (retention lock); nobody can delete it before then");
  }
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement mark,
                         db_->Prepare("UPDATE snapshots SET deleting = 1 WHERE id = ?1"));
  CAIRN_RETURN_IF_ERROR(mark.BindText(1, id));
  CAIRN_RETURN_IF_ERROR(mark.Run());
  return tx.Commit().WithContext(what);
}

Status Catalog::FinishSnapshotDeletion(std::string_view id,
                                       const std::vector<ChunkId>& referenced) {
  const std::string what = "delete snapshot " + std::string(id);
  std::vector<ChunkId> distinct = referenced;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  CAIRN_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement remove,
                         db_->Prepare("DELETE FROM snapshots WHERE id = ?1 AND deleting = 1"));
  CAIRN_RETURN_IF_ERROR(remove.BindText(1, id));
  CAIRN_RETURN_IF_ERROR(remove.Run());
  if (db_->changes() != 1) {
    return Status::NotFound(what + ": the snapshot is not marked for deletion");
  }
  CAIRN_ASSIGN_OR_RETURN(
      SqliteStatement unref,
      db_->Prepare("UPDATE chunks SET refcount = refcount - 1 WHERE id = ?1 AND refcount > 0"));
  for (const ChunkId& chunk : distinct) {
    Status st = unref.BindBlob(1, chunk.bytes);
    if (st.ok()) st = unref.Run();
    CAIRN_RETURN_IF_ERROR(st.WithContext(what + ": chunk " + chunk.Hex()));
  }
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement checks,
                         db_->Prepare("DELETE FROM snapshot_checks WHERE snapshot_id = ?1"));
  CAIRN_RETURN_IF_ERROR(checks.BindText(1, id));
  CAIRN_RETURN_IF_ERROR(checks.Run());
  return tx.Commit().WithContext(what);
}

Status Catalog::RaiseSnapshotLock(std::string_view id, std::int64_t until_unix_ns,
                                  std::optional<std::uint64_t> manifest_bytes) {
  CAIRN_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      db_->Prepare("UPDATE snapshots SET lock_until_unix_ns = max(lock_until_unix_ns, ?2), "
                   "manifest_bytes = coalesce(?3, manifest_bytes) "
                   "WHERE id = ?1 AND deleting = 0"));
  Status st = stmt.BindText(1, id);
  if (st.ok()) st = stmt.BindInt64(2, until_unix_ns);
  if (st.ok() && manifest_bytes) st = stmt.BindUint64(3, *manifest_bytes);
  if (st.ok()) st = stmt.Run();
  CAIRN_RETURN_IF_ERROR(st.WithContext("lock snapshot " + std::string(id)));
  if (db_->changes() != 1) {
    return Status::NotFound("lock snapshot " + std::string(id) + ": no such snapshot");
  }
  return Status::Ok();
}

}  // namespace cairn
