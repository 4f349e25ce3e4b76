// Registry: admin API tokens and the audit log (see registry.h).
#include <algorithm>
#include <utility>

#include "appliance/registry/api_token.h"
#include "appliance/registry/registry.h"
#include "appliance/registry/registry_util.h"
#include "core/protocol/token_secret.h"
#include "core/catalog/sqlite_db.h"
#include "core/catalog/sqlite_statement.h"
#include "core/catalog/transaction.h"

namespace cairn {
namespace {

// last_used is written at most this often per token.
constexpr std::int64_t kUsedIntervalNanos = 60 * kNanosPerSecond;

constexpr std::size_t kMaxTokenNameBytes = 128;
constexpr std::size_t kMaxAuditFieldBytes = 1024;
constexpr std::size_t kMaxAuditDetailBytes = 16 * 1024;

constexpr std::string_view kApiTokenColumns =
    "id, name, role, created_unix_ns, revoked_unix_ns, last_used_unix_ns";

// Reads kApiTokenColumns starting at column `first`.
Result<Registry::ApiTokenRecord> ReadApiTokenRow(const SqliteDb& db, const SqliteStatement& stmt,
                                                 int first = 0) {
  Registry::ApiTokenRecord r;
  r.id = stmt.ColumnText(first);
  r.name = stmt.ColumnText(first + 1);
  const std::string role = stmt.ColumnText(first + 2);
  auto parsed = ParseRole(role);
  // The schema's CHECK allows only the three names; anything else is damage.
  if (!parsed.ok()) return db.CorruptionError("API token " + r.id + ": role \"" + role + "\"");
  r.role = *parsed;
  r.created_unix_ns = stmt.ColumnInt64(first + 3);
  r.revoked_unix_ns = OptionalColumnInt64(stmt, first + 4);
  r.last_used_unix_ns = OptionalColumnInt64(stmt, first + 5);
  return r;
}

bool IsAuditOutcome(std::string_view outcome) {
  return outcome == "ok" || outcome == "denied" || outcome == "failed";
}

}  // namespace

// ---- API tokens -------------------------------------------------------------

Result<std::pair<Registry::ApiTokenRecord, std::string>> Registry::CreateApiToken(
    std::string_view name, Role role) {
  if (name.empty() || name.size() > kMaxTokenNameBytes) {
    return Status::InvalidArgument(
        "API token name must be 1 to 128 bytes (what the token is "
        "for, e.g. \"ci\" or \"alice laptop\")");
  }
  ApiTokenRecord record;
  CAIRN_ASSIGN_OR_RETURN(record.id, NewTokenId());
  record.name = std::string(name);
  record.role = role;
  CAIRN_ASSIGN_OR_RETURN(Bytes secret, NewTokenSecret());
  CAIRN_ASSIGN_OR_RETURN(SecretDigest digest, DigestSecret(secret));
  CAIRN_ASSIGN_OR_RETURN(std::string text, FormatApiToken(record.id, secret));

  std::lock_guard<std::mutex> lock(mu_);
  record.created_unix_ns = clock_.NowUnixNanos();
  CAIRN_ASSIGN_OR_RETURN(
      SqliteStatement insert,
      db_->Prepare("INSERT INTO api_tokens (id, name, role, secret_sha256, created_unix_ns) "
                   "VALUES (?1, ?2, ?3, ?4, ?5)"));
  Status st = insert.BindText(1, record.id);
  if (st.ok()) st = insert.BindText(2, record.name);
  if (st.ok()) st = insert.BindText(3, RoleName(role));
  if (st.ok()) st = insert.BindBlob(4, digest);
  if (st.ok()) st = insert.BindInt64(5, record.created_unix_ns);
  if (st.ok()) st = insert.Run();
  CAIRN_RETURN_IF_ERROR(st.WithContext("create API token \"" + record.name + "\""));
  return std::make_pair(std::move(record), std::move(text));
}

Result<Registry::ApiTokenRecord> Registry::AuthenticateApiToken(std::string_view token_text) {
  std::lock_guard<std::mutex> lock(mu_);
  return AuthenticateLocked(token_text);
}

Result<Registry::ApiTokenRecord> Registry::AuthenticateLocked(std::string_view token_text) {
  auto parsed = ParseApiToken(token_text);
  if (!parsed.ok()) return Status::PermissionDenied(parsed.error().message());
  const std::string what = "API token " + parsed->id;

  CAIRN_ASSIGN_OR_RETURN(SqliteStatement find,
                         db_->Prepare("SELECT secret_sha256, " + std::string(kApiTokenColumns) +
                                      " FROM api_tokens WHERE id = ?1"));
  CAIRN_RETURN_IF_ERROR(find.BindText(1, parsed->id));
  CAIRN_ASSIGN_OR_RETURN(bool found, find.Step());
  if (!found) {
    return Status::PermissionDenied(what +
                                    " is unknown to this appliance (created on another "
                                    "appliance, or mistyped); ask an admin for a token");
  }
  CAIRN_ASSIGN_OR_RETURN(bool secret_ok, SecretMatches(parsed->secret, find.ColumnBlob(0)));
  if (!secret_ok) {
    return Status::PermissionDenied(what + ": wrong secret (the token was altered or mistyped)");
  }
  CAIRN_ASSIGN_OR_RETURN(ApiTokenRecord record, ReadApiTokenRow(*db_, find, 1));
  find.Reset();
  if (record.revoked_unix_ns) {
    return Status::PermissionDenied(what + " (\"" + record.name + "\") was revoked at " +
                                    FormatUtc(*record.revoked_unix_ns) +
                                    "; ask an admin for a new token");
  }

  const std::int64_t mono = clock_.MonotonicNanos();
  auto it = token_used_written_.find(record.id);
  if (it == token_used_written_.end() || mono - it->second >= kUsedIntervalNanos) {
    const std::int64_t now = clock_.NowUnixNanos();
    CAIRN_ASSIGN_OR_RETURN(
        SqliteStatement used,
        db_->Prepare("UPDATE api_tokens SET last_used_unix_ns = ?1 WHERE id = ?2"));
    Status st = used.BindInt64(1, now);
    if (st.ok()) st = used.BindText(2, record.id);
    if (st.ok()) st = used.Run();
    CAIRN_RETURN_IF_ERROR(st.WithContext(what + ": record last use"));
    token_used_written_[record.id] = mono;
    record.last_used_unix_ns = now;
  }
  return record;
}

Result<std::vector<Registry::ApiTokenRecord>> Registry::ListApiTokens() {
  std::lock_guard<std::mutex> lock(mu_);
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt,
                         db_->Prepare("SELECT " + std::string(kApiTokenColumns) +
                                      " FROM api_tokens ORDER BY created_unix_ns, id"));
  std::vector<ApiTokenRecord> out;
  for (;;) {
    CAIRN_ASSIGN_OR_RETURN(bool has_row, stmt.Step());
    if (!has_row) break;
    CAIRN_ASSIGN_OR_RETURN(ApiTokenRecord r, ReadApiTokenRow(*db_, stmt));
    out.push_back(std::move(r));
  }
  return out;
}

Status Registry::RevokeApiToken(std::string_view id) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string what = "revoke API token " + std::string(id.substr(0, 80));
  CAIRN_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement exists,
                         db_->Prepare("SELECT 1 FROM api_tokens WHERE id = ?1"));
  CAIRN_RETURN_IF_ERROR(exists.BindText(1, id));
  CAIRN_ASSIGN_OR_RETURN(bool found, exists.Step());
  if (!found) return Status::NotFound(what + ": no such token");
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement revoke,
                         db_->Prepare("UPDATE api_tokens SET revoked_unix_ns = ?1 "
                                      "WHERE id = ?2 AND revoked_unix_ns IS NULL"));
  Status st = revoke.BindInt64(1, clock_.NowUnixNanos());
  if (st.ok()) st = revoke.BindText(2, id);
  if (st.ok()) st = revoke.Run();
  CAIRN_RETURN_IF_ERROR(st.WithContext(what));
  return tx.Commit().WithContext(what);
}

// ---- audit log --------------------------------------------------------------

Status Registry::Audit(std::string_view actor, std::string_view action, std::string_view target,
                       std::string_view outcome, const nlohmann::json& detail) {
  if (action.empty()) return Status::InvalidArgument("audit: action must not be empty");
  if (!IsAuditOutcome(outcome)) {
    return Status::InvalidArgument("audit: outcome \"" + TruncateUtf8(outcome, 32) +
                                   "\" must be ok, denied or failed");
  }
  if (!detail.is_object()) {
    return Status::InvalidArgument("audit: detail must be a JSON object, not " +
                                   std::string(detail.type_name()));
  }
  // error_handler_t::replace: invalid UTF-8 becomes U+FFFD instead of an
  // exception, so dump() cannot throw here.
  std::string detail_json = detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (detail_json.size() > kMaxAuditDetailBytes) {
    detail_json = nlohmann::json{{"truncated", true}, {"bytes", detail_json.size()}}.dump();
  }

  std::lock_guard<std::mutex> lock(mu_);
  CAIRN_ASSIGN_OR_RETURN(
      SqliteStatement insert,
      db_->Prepare("INSERT INTO audit_log (at_unix_ns, actor, action, target, outcome, detail) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
  Status st = insert.BindInt64(1, clock_.NowUnixNanos());
  if (st.ok()) st = insert.BindText(2, TruncateUtf8(actor, kMaxAuditFieldBytes));
  if (st.ok()) st = insert.BindText(3, TruncateUtf8(action, kMaxAuditFieldBytes));
  if (st.ok()) st = insert.BindText(4, TruncateUtf8(target, kMaxAuditFieldBytes));
  if (st.ok()) st = insert.BindText(5, outcome);
  if (st.ok()) st = insert.BindText(6, detail_json);
  if (st.ok()) st = insert.Run();
  return st.WithContext("audit " + TruncateUtf8(action, 80));
}

Result<std::vector<Registry::AuditEntry>> Registry::ListAudit(std::int64_t after_seq,
                                                              std::size_t limit) {
  limit = std::min(limit, kMaxAuditPage);
  std::lock_guard<std::mutex> lock(mu_);
  CAIRN_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      db_->Prepare("SELECT seq, at_unix_ns, actor, action, target, outcome, detail "
                   "FROM audit_log WHERE seq > ?1 ORDER BY seq LIMIT ?2"));
  Status st = stmt.BindInt64(1, after_seq);
  if (st.ok()) st = stmt.BindUint64(2, limit);
  CAIRN_RETURN_IF_ERROR(st);
  std::vector<AuditEntry> out;
  for (;;) {
    CAIRN_ASSIGN_OR_RETURN(bool has_row, stmt.Step());
    if (!has_row) break;
    AuditEntry e;
    e.seq = stmt.ColumnInt64(0);
    e.at_unix_ns = stmt.ColumnInt64(1);
    e.actor = stmt.ColumnText(2);
    e.action = stmt.ColumnText(3);
    e.target = stmt.ColumnText(4);
    e.outcome = stmt.ColumnText(5);
    e.detail_json = stmt.ColumnText(6);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace cairn
