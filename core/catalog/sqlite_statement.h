// SqliteStatement: one owned prepared statement (sqlite3_finalize on
// destruction) with checked binds and steps.
//
// Obtained from SqliteDb::Prepare(); must not outlive that SqliteDb. Bind
// indexes are 1-based and column indexes 0-based, as in SQLite's C API.
// Integers are 64-bit signed in SQLite: BindUint64 refuses values above
// INT64_MAX and ColumnUint64 reports a negative stored value as Corruption,
// so unsigned quantities round-trip exactly or fail loudly.
//
// Thread-safety: as its SqliteDb (one thread at a time).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/bytes.h"
#include "core/base/c_deleter.h"
#include "core/base/status.h"

namespace cairn {

class SqliteDb;

using SqliteStmtHandle = CHandle<sqlite3_stmt, sqlite3_finalize>;

class SqliteStatement {
 public:
  SqliteStatement(SqliteStatement&&) noexcept = default;
  SqliteStatement& operator=(SqliteStatement&&) noexcept = default;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  Status BindInt64(int index, std::int64_t value);
  Status BindUint64(int index, std::uint64_t value);
  // Text and blobs are copied by SQLite (SQLITE_TRANSIENT): the argument need
  // not outlive the call.
  Status BindText(int index, std::string_view value);
  Status BindBlob(int index, ByteSpan value);
  Status BindNull(int index);

  // Advances the statement: true when a row is available, false when done.
  Result<bool> Step();
  // Steps a statement that returns no rows to completion, then resets it
  // (bindings are kept) so it can be re-bound and run again.
  Status Run();
  // Makes the statement ready to run again and clears its bindings. Any error
  // of the previous Step was already reported by Step, so there is nothing
  // left to report here.
  void Reset();

  bool ColumnIsNull(int col) const;
  std::int64_t ColumnInt64(int col) const;
  // Corruption when the stored value is negative or not an integer.
  Result<std::uint64_t> ColumnUint64(int col) const;
  std::string ColumnText(int col) const;
  // Valid until the next Step/Reset.
  ByteSpan ColumnBlob(int col) const;

 private:
  friend class SqliteDb;
  SqliteStatement(SqliteStmtHandle stmt, const SqliteDb* db) : stmt_(std::move(stmt)), db_(db) {}
  Status BindError(int rc, int index) const;
  std::string Label() const;

  SqliteStmtHandle stmt_;
  const SqliteDb* db_;  // not owned; outlives the statement
};

}  // namespace cairn
