// SqliteDb: one owned SQLite connection, with every result code turned into a
// Status that says what failed and what to do about it.
//
// This is the only place in Cairn that opens SQLite. All SQLite files Cairn
// opens are the catalog (<store>/catalog.db), an index of the store that
// `cairnctl catalog rebuild` can recreate, so the error mapping speaks in
// those terms: SQLITE_CORRUPT / SQLITE_NOTADB become Corruption with a message
// that says the catalog is damaged and can be rebuilt from the store;
// SQLITE_BUSY / SQLITE_LOCKED become Unavailable (retryable).
//
// Thread-safety: the connection is opened with SQLITE_OPEN_NOMUTEX
// ("multi-thread" mode): SQLite takes no per-connection mutex, so a SqliteDb
// and every statement prepared from it must be used by one thread at a time.
// Moving the object between threads (e.g. onto a pool thread) is fine.
// Several SqliteDb objects, in this or other processes, may share one file;
// SQLite's file locks (with busy_timeout) arbitrate between them.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/base/c_deleter.h"
#include "core/base/status.h"

namespace cairn {

using SqliteHandle = CHandle<sqlite3, sqlite3_close_v2>;

class SqliteStatement;

struct SqliteOpenOptions {
  // How long a call waits for another connection's lock before it fails with
  // Unavailable. Default 5 s: long enough to ride out another process's
  // commit, short enough that a wedged peer surfaces as an error.
  std::chrono::milliseconds busy_timeout{5000};
  // Create the file when it does not exist (otherwise: NotFound).
  bool create_if_missing = true;
};

class SqliteDb {
 public:
  // Opens (or creates) the database at `path` and applies the connection
  // settings every catalog connection uses: extended result codes,
  // busy_timeout, journal_mode=WAL, synchronous=FULL, foreign_keys=ON.
  // A damaged file is reported here (Corruption), not on first use.
  static Result<std::unique_ptr<SqliteDb>> Open(const std::filesystem::path& path,
                                                const SqliteOpenOptions& options = {});

  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;
  ~SqliteDb() = default;  // sqlite3_close_v2 via SqliteHandle

  // Runs one or more SQL statements that return no rows of interest.
  Status Exec(std::string_view sql);
  // Prepares exactly one statement; trailing SQL is an InvalidArgument (a
  // programming error, caught by tests). The statement must not outlive this
  // object.
  Result<SqliteStatement> Prepare(std::string_view sql);
  // Runs a single-row query whose first column is an integer (PRAGMAs,
  // counts). No row is NotFound.
  Result<std::int64_t> QueryInt(std::string_view sql);

  // Status for result code `rc` of the most recent call on this connection,
  // with "catalog <path>: <what>: <sqlite message>" as its message.
  Status Error(int rc, std::string_view what) const;
  // Corruption for a row whose content breaks the schema's invariants (a bad
  // id length, malformed JSON): same wording and rebuild hint as
  // SQLITE_CORRUPT, with `what` saying which row and why.
  Status CorruptionError(std::string_view what) const;

  // Rows changed by the most recent INSERT/UPDATE/DELETE.
  std::int64_t changes() const { return sqlite3_changes64(db_.get()); }
  // True while an explicit transaction (BEGIN ...) is open.
  bool in_transaction() const { return sqlite3_get_autocommit(db_.get()) == 0; }
  const std::filesystem::path& path() const { return path_; }
  sqlite3* raw() const { return db_.get(); }

 private:
  SqliteDb(SqliteHandle db, std::filesystem::path path)
      : db_(std::move(db)), path_(std::move(path)) {}

  SqliteHandle db_;
  std::filesystem::path path_;
};

// Maps an SQLite result code (primary or extended) to a Status. `context` is
// the caller's "catalog <path>: <what>" prefix, `detail` SQLite's message and
// `sys_errno` sqlite3_system_errno() (0 when unknown). Exposed for tests.
Status SqliteStatusFromCode(int rc, std::string_view context, std::string_view detail,
                            int sys_errno);

}  // namespace cairn
