#include "core/catalog/sqlite_db.h"

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <string>

#include "core/catalog/sqlite_statement.h"
#include "core/catalog/transaction.h"
#include "tests/support/temp_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

// A fresh directory under $TMPDIR, removed with everything in it.

std::unique_ptr<SqliteDb> OpenOrDie(const fs::path& path, SqliteOpenOptions options = {}) {
  auto db = SqliteDb::Open(path, options);
  INFO(db.status().ToString());
  REQUIRE(db.ok());
  return std::move(db).value();
}

std::int64_t CountRows(SqliteDb& db) {
  auto n = db.QueryInt("SELECT count(*) FROM t");
  REQUIRE(n.ok());
  return *n;
}

TEST_CASE("SqliteDb: a new file is opened in WAL mode with synchronous FULL and foreign keys on",
          "[unit]") {
  TempDir dir;
  auto db = OpenOrDie(dir.path() / "x.db");
  auto mode = db->Prepare("PRAGMA journal_mode");
  REQUIRE(mode.ok());
  REQUIRE(*mode->Step());
  CHECK(mode->ColumnText(0) == "wal");
  CHECK(*db->QueryInt("PRAGMA synchronous") == 2);  // FULL
  CHECK(*db->QueryInt("PRAGMA foreign_keys") == 1);
  CHECK(*db->QueryInt("PRAGMA busy_timeout") == 5000);
}

TEST_CASE("SqliteDb: result codes map onto the closed set of Status codes", "[unit]") {
  const Status corrupt = SqliteStatusFromCode(SQLITE_CORRUPT, "catalog x", "malformed", 0);
  CHECK(corrupt.IsCorruption());
  CHECK(corrupt.message().find("catalog x: malformed") == 0);
  CHECK(corrupt.message().find("cairnctl catalog rebuild") != std::string::npos);
  CHECK(SqliteStatusFromCode(SQLITE_NOTADB, "c", "d", 0).IsCorruption());
  CHECK(SqliteStatusFromCode(SQLITE_CORRUPT_INDEX, "c", "d", 0).IsCorruption());
  const Status busy = SqliteStatusFromCode(SQLITE_BUSY, "c", "database is locked", 0);
  CHECK(busy.code() == Status::Code::kUnavailable);
  CHECK(busy.retryable());
  CHECK(SqliteStatusFromCode(SQLITE_BUSY_SNAPSHOT, "c", "d", 0).retryable());
  CHECK(SqliteStatusFromCode(SQLITE_CONSTRAINT_PRIMARYKEY, "c", "d", 0).IsAlreadyExists());
  CHECK(SqliteStatusFromCode(SQLITE_CONSTRAINT_CHECK, "c", "d", 0).IsInvalidArgument());
  CHECK(SqliteStatusFromCode(SQLITE_READONLY, "c", "d", 0).code() ==
        Status::Code::kPermissionDenied);
  CHECK(SqliteStatusFromCode(SQLITE_CANTOPEN, "c", "d", ENOENT).IsNotFound());
  CHECK(SqliteStatusFromCode(SQLITE_CANTOPEN, "c", "d", EACCES).code() ==
        Status::Code::kPermissionDenied);
  CHECK(SqliteStatusFromCode(SQLITE_IOERR_FSYNC, "c", "d", EIO).code() == Status::Code::kIoError);
  CHECK(SqliteStatusFromCode(SQLITE_FULL, "c", "d", 0).code() == Status::Code::kIoError);
  CHECK(SqliteStatusFromCode(SQLITE_INTERRUPT, "c", "d", 0).code() == Status::Code::kCancelled);
}

TEST_CASE("SqliteDb: opening in a missing directory is NotFound and names the path", "[unit]") {
  TempDir dir;
  const fs::path path = dir.path() / "no-such-dir" / "x.db";
  auto db = SqliteDb::Open(path);
  REQUIRE_FALSE(db.ok());
  CHECK(db.error().IsNotFound());
  CHECK(db.error().message().find(path.string()) != std::string::npos);
}

TEST_CASE("SqliteDb: Prepare refuses trailing statements and reports SQL errors", "[unit]") {
  TempDir dir;
  auto db = OpenOrDie(dir.path() / "x.db");
  auto two = db->Prepare("SELECT 1; SELECT 2");
  REQUIRE_FALSE(two.ok());
  CHECK(two.error().IsInvalidArgument());
  CHECK(db->Prepare("SELECT 1;").ok());
  auto bad = db->Prepare("SELECT * FROM no_such_table");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message().find("no such table") != std::string::npos);
}

TEST_CASE("SqliteStatement: integers outside the signed 64-bit range fail loudly", "[unit]") {
  TempDir dir;
  auto db = OpenOrDie(dir.path() / "x.db");
  REQUIRE(db->Exec("CREATE TABLE t (v INTEGER)").ok());
  auto insert = db->Prepare("INSERT INTO t (v) VALUES (?1)");
  REQUIRE(insert.ok());
  const std::uint64_t max = std::numeric_limits<std::int64_t>::max();
  CHECK(insert->BindUint64(1, max + 1).IsInvalidArgument());
  REQUIRE(insert->BindUint64(1, max).ok());
  REQUIRE(insert->Run().ok());
  REQUIRE(insert->BindInt64(1, -1).ok());
  REQUIRE(insert->Run().ok());
  CHECK(insert->BindInt64(7, 1).IsInvalidArgument());  // no such parameter

  auto select = db->Prepare("SELECT v FROM t ORDER BY v DESC");
  REQUIRE(select.ok());
  REQUIRE(*select->Step());
  CHECK(*select->ColumnUint64(0) == max);
  REQUIRE(*select->Step());
  auto negative = select->ColumnUint64(0);
  REQUIRE_FALSE(negative.ok());
  CHECK(negative.error().IsCorruption());
  CHECK_FALSE(*select->Step());
}

TEST_CASE("Transaction: destruction without Commit rolls every statement back", "[unit]") {
  TempDir dir;
  auto db = OpenOrDie(dir.path() / "x.db");
  REQUIRE(db->Exec("CREATE TABLE t (v INTEGER)").ok());
  {
    auto tx = Transaction::Begin(*db);
    REQUIRE(tx.ok());
    CHECK(db->in_transaction());
    REQUIRE(db->Exec("INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)").ok());
    CHECK(CountRows(*db) == 2);
  }
  CHECK_FALSE(db->in_transaction());
  CHECK(CountRows(*db) == 0);
}

TEST_CASE("Transaction: a committed change is visible to another connection", "[unit]") {
  TempDir dir;
  auto a = OpenOrDie(dir.path() / "x.db");
  auto b = OpenOrDie(dir.path() / "x.db");
  REQUIRE(a->Exec("CREATE TABLE t (v INTEGER)").ok());
  auto tx = Transaction::Begin(*a);
  REQUIRE(tx.ok());
  REQUIRE(a->Exec("INSERT INTO t VALUES (1)").ok());
  CHECK(CountRows(*b) == 0);  // WAL: the reader sees the last commit
  REQUIRE(tx->Commit().ok());
  CHECK_FALSE(a->in_transaction());
  CHECK(CountRows(*b) == 1);
  CHECK_FALSE(tx->Commit().ok());  // finished transactions stay finished
  CHECK(tx->Rollback().ok());
  CHECK(CountRows(*b) == 1);
}

TEST_CASE("Transaction: a second writer waits busy_timeout and then gets Unavailable", "[unit]") {
  TempDir dir;
  SqliteOpenOptions quick;
  quick.busy_timeout = std::chrono::milliseconds(50);
  auto a = OpenOrDie(dir.path() / "x.db", quick);
  auto b = OpenOrDie(dir.path() / "x.db", quick);
  REQUIRE(a->Exec("CREATE TABLE t (v INTEGER)").ok());
  auto held = Transaction::Begin(*a);
  REQUIRE(held.ok());
  auto blocked = Transaction::Begin(*b);
  REQUIRE_FALSE(blocked.ok());
  CHECK(blocked.error().retryable());
  CHECK(blocked.error().message().find("retry later") != std::string::npos);
  REQUIRE(held->Commit().ok());
  CHECK(Transaction::Begin(*b).ok());
}

TEST_CASE("Transaction: transactions do not nest", "[unit]") {
  TempDir dir;
  auto db = OpenOrDie(dir.path() / "x.db");
  auto outer = Transaction::Begin(*db);
  REQUIRE(outer.ok());
  CHECK_FALSE(Transaction::Begin(*db).ok());
  CHECK(db->in_transaction());  // the failed inner Begin left the outer intact
}

}  // namespace
}  // namespace cairn
