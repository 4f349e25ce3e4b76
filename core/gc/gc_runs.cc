// GcRuns: the SQL of table gc_runs, through Catalog::db() (the catalog keeps
// no GC logic of its own).
#include "core/gc/gc_runs.h"

#include <algorithm>
#include <functional>

#include "core/catalog/sqlite_db.h"
#include "core/catalog/sqlite_statement.h"

namespace cairn {

namespace {

constexpr std::string_view kColumns =
    "id, started_unix_ns, cutoff_unix_ns, state, next_prefix, chunks_freed, bytes_freed, "
    "finished_unix_ns, detail";
// An error message may quote a long path list; the row keeps its start.
constexpr std::size_t kMaxDetail = 2000;

std::string Bounded(std::string_view detail) {
  return std::string(detail.substr(0, std::min(detail.size(), kMaxDetail)));
}

Result<GcRun> ReadRow(const SqliteStatement& stmt) {
  GcRun run;
  run.id = stmt.ColumnInt64(0);
  run.started_unix_ns = stmt.ColumnInt64(1);
  run.cutoff_unix_ns = stmt.ColumnInt64(2);
  run.state = stmt.ColumnText(3);
  run.next_prefix = static_cast<int>(stmt.ColumnInt64(4));
  CAIRN_ASSIGN_OR_RETURN(run.chunks_freed, stmt.ColumnUint64(5));
  CAIRN_ASSIGN_OR_RETURN(run.bytes_freed, stmt.ColumnUint64(6));
  if (!stmt.ColumnIsNull(7)) run.finished_unix_ns = stmt.ColumnInt64(7);
  run.detail = stmt.ColumnText(8);
  return run;
}

Result<std::vector<GcRun>> Query(Catalog& catalog, std::string_view where_and_order,
                                 std::int64_t limit) {
  SqliteDb& db = catalog.db();
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt,
                         db.Prepare("SELECT " + std::string(kColumns) + " FROM gc_runs " +
                                    std::string(where_and_order) + " LIMIT ?1"));
  CAIRN_RETURN_IF_ERROR(stmt.BindInt64(1, limit));
  std::vector<GcRun> out;
  for (;;) {
    CAIRN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    CAIRN_ASSIGN_OR_RETURN(GcRun run, ReadRow(stmt));
    out.push_back(std::move(run));
  }
  return out;
}

// One UPDATE of the row `run_id` (bound as ?1; `bind` binds the rest).
Status UpdateRun(Catalog& catalog, std::int64_t run_id, std::string_view sql,
                 const std::function<Status(SqliteStatement&)>& bind) {
  SqliteDb& db = catalog.db();
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt, db.Prepare(sql));
  CAIRN_RETURN_IF_ERROR(stmt.BindInt64(1, run_id));
  CAIRN_RETURN_IF_ERROR(bind(stmt));
  CAIRN_RETURN_IF_ERROR(stmt.Run());
  if (db.changes() != 1) return Status::NotFound("no gc run " + std::to_string(run_id));
  return Status::Ok();
}

}  // namespace

Result<std::optional<GcRun>> FindRunningGcRun(Catalog& catalog) {
  auto runs = Query(catalog, "WHERE state = 'running' ORDER BY id DESC", 1);
  if (!runs.ok()) return runs.error().WithContext("gc: find an interrupted run");
  if (runs->empty()) return std::optional<GcRun>();
  return std::optional<GcRun>(std::move(runs->front()));
}

Result<GcRun> StartGcRun(Catalog& catalog, std::int64_t started_unix_ns,
                         std::int64_t cutoff_unix_ns) {
  SqliteDb& db = catalog.db();
  auto inserted = [&]() -> Result<GcRun> {
    CAIRN_ASSIGN_OR_RETURN(
        SqliteStatement stmt,
        db.Prepare("INSERT INTO gc_runs (started_unix_ns, cutoff_unix_ns, state) "
                   "VALUES (?1, ?2, 'running') RETURNING " +
                   std::string(kColumns)));
    CAIRN_RETURN_IF_ERROR(stmt.BindInt64(1, started_unix_ns));
    CAIRN_RETURN_IF_ERROR(stmt.BindInt64(2, cutoff_unix_ns));
    CAIRN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return db.CorruptionError("gc_runs: INSERT ... RETURNING gave no row");
    CAIRN_ASSIGN_OR_RETURN(GcRun run, ReadRow(stmt));
    // Step to completion so the statement's write is over before it is
    // finalized.
    CAIRN_ASSIGN_OR_RETURN(bool more, stmt.Step());
    (void)more;
    return run;
  }();
  if (!inserted.ok()) return inserted.error().WithContext("gc: record the run");
  return inserted;
}

Status SaveGcProgress(Catalog& catalog, std::int64_t run_id, int next_prefix,
                      std::uint64_t chunks_freed, std::uint64_t bytes_freed) {
  return UpdateRun(catalog, run_id,
                   "UPDATE gc_runs SET next_prefix = ?2, chunks_freed = ?3, bytes_freed = ?4 "
                   "WHERE id = ?1",
                   [&](SqliteStatement& stmt) {
                     Status s = stmt.BindInt64(2, next_prefix);
                     if (s.ok()) s = stmt.BindUint64(3, chunks_freed);
                     if (s.ok()) s = stmt.BindUint64(4, bytes_freed);
                     return s;
                   })
      .WithContext("gc: save progress");
}

Status NoteGcInterruption(Catalog& catalog, std::int64_t run_id, std::string_view detail) {
  return UpdateRun(catalog, run_id, "UPDATE gc_runs SET detail = ?2 WHERE id = ?1",
                   [&](SqliteStatement& stmt) { return stmt.BindText(2, Bounded(detail)); })
      .WithContext("gc: record the interruption");
}

Status FinishGcRun(Catalog& catalog, std::int64_t run_id, std::string_view state,
                   std::int64_t finished_unix_ns, std::string_view detail) {
  if (state != "done" && state != "failed") {
    return Status::InvalidArgument("gc: a run ends 'done' or 'failed', not '" + std::string(state) +
                                   "'");
  }
  return UpdateRun(catalog, run_id,
                   "UPDATE gc_runs SET state = ?2, finished_unix_ns = ?3, detail = ?4 "
                   "WHERE id = ?1",
                   [&](SqliteStatement& stmt) {
                     Status s = stmt.BindText(2, state);
                     if (s.ok()) s = stmt.BindInt64(3, finished_unix_ns);
                     if (s.ok()) s = stmt.BindText(4, Bounded(detail));
                     return s;
                   })
      .WithContext("gc: finish the run");
}

Result<std::vector<GcRun>> ListGcRuns(Catalog& catalog, std::size_t limit) {
  auto runs = Query(catalog, "ORDER BY id DESC",
                    static_cast<std::int64_t>(std::min<std::size_t>(limit, 1'000'000)));
  if (!runs.ok()) return runs.error().WithContext("gc: list runs");
  return runs;
}

}  // namespace cairn
