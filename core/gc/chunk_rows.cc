#include "core/gc/chunk_rows.h"

#include "core/catalog/sqlite_db.h"
#include "core/catalog/sqlite_statement.h"

namespace cairn {

Result<ChunkRowOutcome> DeleteChunkRowIfUnreferenced(Catalog& catalog, const ChunkId& id) {
  SqliteDb& db = catalog.db();
  auto outcome = [&]() -> Result<ChunkRowOutcome> {
    CAIRN_ASSIGN_OR_RETURN(SqliteStatement remove,
                           db.Prepare("DELETE FROM chunks WHERE id = ?1 AND refcount = 0"));
    CAIRN_RETURN_IF_ERROR(remove.BindBlob(1, id.bytes));
    CAIRN_RETURN_IF_ERROR(remove.Run());
    if (db.changes() == 1) return ChunkRowOutcome::kDeleted;
    CAIRN_ASSIGN_OR_RETURN(SqliteStatement find, db.Prepare("SELECT 1 FROM chunks WHERE id = ?1"));
    CAIRN_RETURN_IF_ERROR(find.BindBlob(1, id.bytes));
    CAIRN_ASSIGN_OR_RETURN(bool found, find.Step());
    return found ? ChunkRowOutcome::kReferenced : ChunkRowOutcome::kAbsent;
  }();
  if (!outcome.ok()) return outcome.error().WithContext("gc: catalog row of chunk " + id.Hex());
  return outcome;
}

Result<std::vector<ChunkId>> UnreferencedChunkRows(Catalog& catalog) {
  SqliteDb& db = catalog.db();
  auto ids = [&]() -> Result<std::vector<ChunkId>> {
    CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt,
                           db.Prepare("SELECT id FROM chunks WHERE refcount = 0 ORDER BY id"));
    std::vector<ChunkId> out;
    for (;;) {
      CAIRN_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      auto id = ChunkId::FromBytes(stmt.ColumnBlob(0));
      if (!id) return db.CorruptionError("chunks: a row whose id is not 32 bytes");
      out.push_back(*id);
    }
    return out;
  }();
  if (!ids.ok()) return ids.error().WithContext("gc: list unreferenced chunk rows");
  return ids;
}

}  // namespace cairn
