#include "core/catalog/sqlite_statement.h"

#include <limits>
#include <string>

#include "core/catalog/sqlite_db.h"

namespace cairn {

std::string SqliteStatement::Label() const {
  std::string_view sql = sqlite3_sql(stmt_.get());
  std::string out = "\"";
  out += sql.substr(0, 60);
  out += sql.size() > 60 ? "...\"" : "\"";
  return out;
}

Status SqliteStatement::BindError(int rc, int index) const {
  return db_->Error(rc, "bind parameter " + std::to_string(index) + " of " + Label());
}

Status SqliteStatement::BindInt64(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_.get(), index, value);
  return rc == SQLITE_OK ? Status::Ok() : BindError(rc, index);
}

Status SqliteStatement::BindUint64(int index, std::uint64_t value) {
  if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return Status::InvalidArgument("catalog: value " + std::to_string(value) + " for parameter " +
                                   std::to_string(index) + " of " + Label() +
                                   " exceeds the catalog's 63-bit integer range");
  }
  return BindInt64(index, static_cast<std::int64_t>(value));
}

Status SqliteStatement::BindText(int index, std::string_view value) {
  const int rc = sqlite3_bind_text64(stmt_.get(), index, value.data(), value.size(),
                                     SQLITE_TRANSIENT, SQLITE_UTF8);
  return rc == SQLITE_OK ? Status::Ok() : BindError(rc, index);
}

Status SqliteStatement::BindBlob(int index, ByteSpan value) {
  // A zero-length span may carry a null data pointer, which SQLite would bind
  // as NULL rather than as an empty blob.
  static constexpr std::uint8_t kEmpty = 0;
  const void* data = value.empty() ? &kEmpty : value.data();
  const int rc = sqlite3_bind_blob64(stmt_.get(), index, data, value.size(), SQLITE_TRANSIENT);
  return rc == SQLITE_OK ? Status::Ok() : BindError(rc, index);
}

Status SqliteStatement::BindNull(int index) {
  const int rc = sqlite3_bind_null(stmt_.get(), index);
  return rc == SQLITE_OK ? Status::Ok() : BindError(rc, index);
}

Result<bool> SqliteStatement::Step() {
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->Error(rc, "step " + Label());
}

Status SqliteStatement::Run() {
  Result<bool> row = Step();
  while (row.ok() && *row) row = Step();
  // Reset without clearing bindings, so the caller may re-bind only some.
  (void)sqlite3_reset(stmt_.get());  // the step's error, if any, is in `row`
  return row.status();
}

void SqliteStatement::Reset() {
  (void)sqlite3_reset(stmt_.get());           // repeats the last Step's error: already reported
  (void)sqlite3_clear_bindings(stmt_.get());  // always SQLITE_OK
}

bool SqliteStatement::ColumnIsNull(int col) const {
  return sqlite3_column_type(stmt_.get(), col) == SQLITE_NULL;
}

std::int64_t SqliteStatement::ColumnInt64(int col) const {
  return sqlite3_column_int64(stmt_.get(), col);
}

Result<std::uint64_t> SqliteStatement::ColumnUint64(int col) const {
  if (sqlite3_column_type(stmt_.get(), col) != SQLITE_INTEGER) {
    return db_->CorruptionError("column " + std::to_string(col) + " of " + Label() +
                                " is not an integer");
  }
  const std::int64_t v = sqlite3_column_int64(stmt_.get(), col);
  if (v < 0) {
    return db_->CorruptionError("column " + std::to_string(col) + " of " + Label() +
                                " is negative (" + std::to_string(v) + ")");
  }
  return static_cast<std::uint64_t>(v);
}

std::string SqliteStatement::ColumnText(int col) const {
  const unsigned char* text = sqlite3_column_text(stmt_.get(), col);
  const int n = sqlite3_column_bytes(stmt_.get(), col);  // after _text, per SQLite docs
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(n));
}

ByteSpan SqliteStatement::ColumnBlob(int col) const {
  const void* blob = sqlite3_column_blob(stmt_.get(), col);
  const int n = sqlite3_column_bytes(stmt_.get(), col);
  if (blob == nullptr) return {};
  return {static_cast<const std::uint8_t*>(blob), static_cast<std::size_t>(n)};
}

}  // namespace cairn
