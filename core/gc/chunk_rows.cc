#include "core/gc/chunk_rows.h"

#include "core/catalog/sqlite_db.h"
#include "core/catalog/sqlite_statement.h"
#include "core/catalog/transaction.h"

namespace cairn {

Result<ChunkRowOutcome> DeleteChunkRowIfUnreferenced(Catalog& catalog, const ChunkId& id) {
  CAIRN_ASSIGN_OR_RETURN(std::vector<ChunkRowOutcome> outcomes,
                         DeleteChunkRowsIfUnreferenced(catalog, {id}));
  return outcomes.front();
}

Result<std::vector<ChunkRowOutcome>> DeleteChunkRowsIfUnreferenced(
    Catalog& catalog, const std::vector<ChunkId>& ids) {
  SqliteDb& db = catalog.db();
  auto outcomes = [&]() -> Result<std::vector<ChunkRowOutcome>> {
    CAIRN_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
    CAIRN_ASSIGN_OR_RETURN(SqliteStatement remove,
                           db.Prepare("DELETE FROM chunks WHERE id = ?1 AND refcount = 0"));
    CAIRN_ASSIGN_OR_RETURN(SqliteStatement find, db.Prepare("SELECT 1 FROM chunks WHERE id = ?1"));
    std::vector<ChunkRowOutcome> out;
    out.reserve(ids.size());
    for (const ChunkId& id : ids) {
      CAIRN_RETURN_IF_ERROR(remove.BindBlob(1, id.bytes));
      CAIRN_RETURN_IF_ERROR(remove.Run());
      if (db.changes() == 1) {
        out.push_back(ChunkRowOutcome::kDeleted);
        continue;
      }
      CAIRN_RETURN_IF_ERROR(find.BindBlob(1, id.bytes));
      CAIRN_ASSIGN_OR_RETURN(bool found, find.Step());
      find.Reset();
      out.push_back(found ? ChunkRowOutcome::kReferenced : ChunkRowOutcome::kAbsent);
    }
    CAIRN_RETURN_IF_ERROR(tx.Commit());
    return out;
  }();
  if (!outcomes.ok()) {
    return outcomes.error().WithContext(
        ids.size() == 1 ? "gc: catalog row of chunk " + ids.front().Hex()
                        : "gc: catalog rows of " + std::to_string(ids.size()) + " chunks");
  }
  return outcomes;
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
