// Transaction: RAII for one SQLite write transaction.
//
//   CAIRN_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
//   ... statements ...
//   return tx.Commit();        // any early return above rolls back
//
// Begin() issues BEGIN IMMEDIATE: the write lock is taken up front (waiting
// up to busy_timeout), so a transaction never fails half-way with
// SQLITE_BUSY on its first write. The destructor rolls back unless Commit()
// succeeded; a failed COMMIT that SQLite already rolled back (I/O error) is
// detected via autocommit state and not rolled back twice.
//
// Thread-safety: as its SqliteDb (one thread at a time). Transactions do not
// nest: Begin() while one is open fails.
#pragma once

#include <utility>

#include "core/base/status.h"
#include "core/catalog/sqlite_db.h"

namespace cairn {

class [[nodiscard]] Transaction {
 public:
  static Result<Transaction> Begin(SqliteDb& db) {
    CAIRN_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
    return Transaction(&db);
  }

  Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Rollback's own failure has nowhere to go from a destructor; SQLite then
  // rolls back when the connection closes, so nothing torn becomes visible.
  ~Transaction() { Rollback().IgnoreError(); }

  // Makes every statement since Begin() durable and visible, or none of them.
  Status Commit() {
    if (db_ == nullptr) return Status::InvalidArgument("transaction already finished");
    Status s = db_->Exec("COMMIT");
    // On success the transaction is over; on failure it is over only if
    // SQLite rolled it back itself (otherwise, e.g. SQLITE_BUSY, the
    // destructor rolls it back).
    if (s.ok() || !db_->in_transaction()) db_ = nullptr;
    return s;
  }

  // Explicit rollback; idempotent, and a no-op once committed.
  Status Rollback() {
    SqliteDb* db = std::exchange(db_, nullptr);
    if (db == nullptr || !db->in_transaction()) return Status::Ok();
    return db->Exec("ROLLBACK");
  }

 private:
  explicit Transaction(SqliteDb* db) : db_(db) {}

  SqliteDb* db_;  // not owned; null once finished
};

}  // namespace cairn
