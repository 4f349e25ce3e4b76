#include "core/catalog/sqlite_db.h"

#include <cstring>
#include <string>
#include <utility>

#include "core/catalog/sqlite_statement.h"

namespace cairn {
namespace {

using ErrmsgHandle = CHandle<char, sqlite3_free>;

// Appended to every Corruption: the user's next step, in the user's words.
constexpr std::string_view kRebuildHint =
    ". The catalog is damaged. It is only an index of the store and can be rebuilt "
    "from the store's files: stop every cairn process using this store, then run "
    "`cairnctl catalog rebuild --store STORE_DIR --key-file KEY_FILE` (it keeps the damaged "
    "file as catalog.db.old-* and carries over the agents, tokens and audit log it can "
    "still read)";

std::string Context(const std::filesystem::path& path, std::string_view what) {
  std::string out = "catalog ";
  out += path.string();
  out += ": ";
  out += what;
  return out;
}

}  // namespace

Status SqliteStatusFromCode(int rc, std::string_view context, std::string_view detail,
                            int sys_errno) {
  std::string msg(context);
  msg += ": ";
  msg += detail;
  switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
      return Status::Ok();
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      msg += kRebuildHint;
      return Status::Corruption(std::move(msg));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      msg += " (another cairn process holds the catalog lock; retry later)";
      return Status::Unavailable(std::move(msg));
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
        return Status::AlreadyExists(std::move(msg));
      }
      return Status::InvalidArgument(std::move(msg));
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return Status::PermissionDenied(std::move(msg));
    case SQLITE_CANTOPEN:
      // SQLite's own message ("unable to open database file") hides why;
      // errno tells NotFound from PermissionDenied.
      if (sys_errno != 0) return Status::FromErrno(sys_errno, msg);
      return Status::IoError(std::move(msg));
    case SQLITE_INTERRUPT:
      return Status::Cancelled(std::move(msg));
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
    case SQLITE_MISUSE:
      return Status::InvalidArgument(std::move(msg));
    case SQLITE_IOERR:
      if (sys_errno != 0) {
        msg += " (";
        msg += std::strerror(sys_errno);
        msg += ")";
      }
      return Status::IoError(std::move(msg));
    default:
      return Status::IoError(std::move(msg));
  }
}

Status SqliteDb::Error(int rc, std::string_view what) const {
  const char* detail = db_ ? sqlite3_errmsg(db_.get()) : sqlite3_errstr(rc);
  const int sys_errno = db_ ? sqlite3_system_errno(db_.get()) : 0;
  return SqliteStatusFromCode(rc, Context(path_, what), detail, sys_errno);
}

Status SqliteDb::CorruptionError(std::string_view what) const {
  return SqliteStatusFromCode(SQLITE_CORRUPT, Context(path_, "unexpected content"), what, 0);
}

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::filesystem::path& path,
                                                 const SqliteOpenOptions& options) {
  // NOMUTEX: see the header; the owner serializes all use of the connection.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (options.create_if_missing) flags |= SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  // Wrapped before the check: sqlite3_open_v2 allocates a handle even when it
  // fails, and that handle carries the error message.
  std::unique_ptr<SqliteDb> db(new SqliteDb(SqliteHandle(raw), path));
  if (rc != SQLITE_OK) return db->Error(rc, "open");

  if (int erc = sqlite3_extended_result_codes(raw, 1); erc != SQLITE_OK) {
    return db->Error(erc, "enable extended result codes");
  }
  const auto timeout_ms = static_cast<int>(options.busy_timeout.count());
  if (int brc = sqlite3_busy_timeout(raw, timeout_ms); brc != SQLITE_OK) {
    return db->Error(brc, "set busy_timeout");
  }

  // Reading the schema first makes a damaged or foreign file fail here, at
  // open, with the rebuild hint, rather than at some later query.
  CAIRN_ASSIGN_OR_RETURN(std::int64_t tables, db->QueryInt("SELECT count(*) FROM sqlite_schema"));
  (void)tables;

  // WAL: readers never block the writer; synchronous=FULL: a returned COMMIT
  // survives power loss (the WAL is fsynced on every commit).
  {
    CAIRN_ASSIGN_OR_RETURN(SqliteStatement mode, db->Prepare("PRAGMA journal_mode=WAL"));
    CAIRN_ASSIGN_OR_RETURN(bool has_row, mode.Step());
    const std::string got = has_row ? mode.ColumnText(0) : std::string();
    if (got != "wal") {
      return Status::IoError(Context(path, "cannot switch to WAL journal mode (got \"" + got +
                                               "\"); is the store on a local file system?"));
    }
  }
  CAIRN_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
  return db;
}

Status SqliteDb::Exec(std::string_view sql) {
  const std::string text(sql);  // sqlite3_exec needs NUL termination
  char* raw_err = nullptr;
  const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &raw_err);
  ErrmsgHandle err(raw_err);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string what = "exec \"";
  what += sql.substr(0, 60);
  what += sql.size() > 60 ? "...\"" : "\"";
  return Error(rc, what);
}

Result<SqliteStatement> SqliteDb::Prepare(std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  const int rc =
      sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &raw, &tail);
  SqliteStmtHandle stmt(raw);
  std::string what = "prepare \"";
  what += sql.substr(0, 60);
  what += sql.size() > 60 ? "...\"" : "\"";
  if (rc != SQLITE_OK) return Error(rc, what);
  if (raw == nullptr) return Status::InvalidArgument(Context(path_, what + ": empty statement"));
  const std::string_view rest = sql.substr(static_cast<std::size_t>(tail - sql.data()));
  if (rest.find_first_not_of(" \t\r\n;") != std::string_view::npos) {
    return Status::InvalidArgument(Context(path_, what + ": more than one statement"));
  }
  return SqliteStatement(std::move(stmt), this);
}

Result<std::int64_t> SqliteDb::QueryInt(std::string_view sql) {
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt, Prepare(sql));
  CAIRN_ASSIGN_OR_RETURN(bool has_row, stmt.Step());
  if (!has_row) {
    return Status::NotFound(Context(path_, "no row from \"" + std::string(sql) + "\""));
  }
  return stmt.ColumnInt64(0);
}

}  // namespace cairn
