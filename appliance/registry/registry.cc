// Registry: opening, clusters and enrollment tokens. Agents are in
// registry_agents.cc, API tokens and the audit log in registry_access.cc.
#include "appliance/registry/registry.h"

#include <ctime>
#include <utility>

#include "core/protocol/enrollment_token.h"
#include "appliance/registry/registry_util.h"
#include "core/protocol/token_secret.h"
#include "core/catalog/migrations.h"
#include "core/catalog/sqlite_db.h"
#include "core/catalog/sqlite_statement.h"
#include "core/catalog/transaction.h"

namespace cairn {
namespace {

// The schema that introduced the registry's tables.
constexpr int kRegistrySchemaVersion = 2;

// Tokens that live for years are standing credentials, not enrollment
// tokens; the bound also keeps now + ttl far from int64 overflow.
constexpr std::chrono::seconds kMaxEnrollmentTtl{3650LL * 24 * 3600};

}  // namespace

bool IsValidClusterName(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  for (char c : name) {
    if (!alnum(c) && c != '-') return false;
  }
  return true;
}

Registry::Registry(std::unique_ptr<SqliteDb> db, Clock& clock)
    : db_(std::move(db)), clock_(clock) {}
Registry::~Registry() = default;

Result<std::unique_ptr<Registry>> Registry::Open(const std::filesystem::path& catalog_db,
                                                 Clock& clock) {
  CAIRN_ASSIGN_OR_RETURN(auto db, OpenMigratedCatalog(catalog_db, kRegistrySchemaVersion, "registry"));
  return std::unique_ptr<Registry>(new Registry(std::move(db), clock));
}

// ---- clusters ---------------------------------------------------------------

Result<std::vector<std::string>> Registry::ListClusters() {
  std::lock_guard<std::mutex> lock(mu_);
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt,
                         db_->Prepare("SELECT name FROM clusters ORDER BY name"));
  std::vector<std::string> out;
  for (;;) {
    CAIRN_ASSIGN_OR_RETURN(bool has_row, stmt.Step());
    if (!has_row) break;
    out.push_back(stmt.ColumnText(0));
  }
  return out;
}

// ---- enrollment tokens ------------------------------------------------------

Result<Registry::EnrollmentToken> Registry::CreateEnrollmentToken(std::string_view cluster,
                                                                  std::chrono::seconds ttl,
                                                                  std::string_view ca_sha256_hex,
                                                                  std::string_view created_by) {
  if (!IsValidClusterName(cluster)) {
    return Status::InvalidArgument(
        "invalid cluster name \"" + std::string(cluster.substr(0, 80)) +
        "\": use 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or "
        "digit (a DNS-1123 label), e.g. \"prod-eu1\"");
  }
  if (ttl < std::chrono::seconds(1) || ttl > kMaxEnrollmentTtl) {
    return Status::InvalidArgument("enrollment token lifetime " + std::to_string(ttl.count()) +
                                   "s is out of range: use 1s to 3650d (e.g. 24h)");
  }
  if (!IsSha256Hex(ca_sha256_hex)) {
    return Status::InvalidArgument(
        "CA pin must be the SHA-256 of the appliance CA certificate as 64 hex digits");
  }
  if (created_by.empty()) {
    return Status::InvalidArgument("enrollment token: created_by (who asked for it) is empty");
  }

  CAIRN_ASSIGN_OR_RETURN(std::string id, NewTokenId());
  CAIRN_ASSIGN_OR_RETURN(Bytes secret, NewTokenSecret());
  CAIRN_ASSIGN_OR_RETURN(SecretDigest digest, DigestSecret(secret));
  CAIRN_ASSIGN_OR_RETURN(std::string text, FormatEnrollmentToken(id, secret, ca_sha256_hex));

  std::lock_guard<std::mutex> lock(mu_);
  const std::int64_t now = clock_.NowUnixNanos();
  const std::int64_t expires = now + ttl.count() * kNanosPerSecond;
  CAIRN_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
  CAIRN_ASSIGN_OR_RETURN(
      SqliteStatement add_cluster,
      db_->Prepare("INSERT OR IGNORE INTO clusters (name, created_unix_ns) VALUES (?1, ?2)"));
  Status st = add_cluster.BindText(1, cluster);
  if (st.ok()) st = add_cluster.BindInt64(2, now);
  if (st.ok()) st = add_cluster.Run();
  CAIRN_RETURN_IF_ERROR(st);
  CAIRN_ASSIGN_OR_RETURN(
      SqliteStatement add_token,
      db_->Prepare("INSERT INTO enrollment_tokens (id, secret_sha256, cluster, created_unix_ns, "
                   "expires_unix_ns, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
  st = add_token.BindText(1, id);
  if (st.ok()) st = add_token.BindBlob(2, digest);
  if (st.ok()) st = add_token.BindText(3, cluster);
  if (st.ok()) st = add_token.BindInt64(4, now);
  if (st.ok()) st = add_token.BindInt64(5, expires);
  if (st.ok()) st = add_token.BindText(6, created_by);
  if (st.ok()) st = add_token.Run();
  CAIRN_RETURN_IF_ERROR(st);
  CAIRN_RETURN_IF_ERROR(tx.Commit());
  return EnrollmentToken{std::move(id), std::string(cluster), std::move(text), expires};
}

Result<std::string> Registry::RedeemEnrollmentToken(std::string_view token_text,
                                                    std::string_view expected_cluster,
                                                    std::string_view agent_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return RedeemLocked(token_text, expected_cluster, agent_id);
}

Result<std::string> Registry::RedeemLocked(std::string_view token_text,
                                           std::string_view expected_cluster,
                                           std::string_view agent_id) {
  if (!IsValidAgentId(agent_id)) return InvalidAgentIdError(agent_id);
  auto parsed = ParseEnrollmentToken(token_text);
  // A malformed token is refused like any other bad credential.
  if (!parsed.ok()) return Status::PermissionDenied(parsed.error().message());
  const std::string& id = parsed->id;
  const std::string what = "enrollment token " + id;

  // BEGIN IMMEDIATE: the write lock is held from the read to the UPDATE, so
  // no other connection can redeem the token in between.
  CAIRN_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
  CAIRN_ASSIGN_OR_RETURN(
      SqliteStatement find,
      db_->Prepare("SELECT secret_sha256, cluster, expires_unix_ns, used_unix_ns, used_by_agent "
                   "FROM enrollment_tokens WHERE id = ?1"));
  CAIRN_RETURN_IF_ERROR(find.BindText(1, id));
  CAIRN_ASSIGN_OR_RETURN(bool found, find.Step());
  if (!found) {
    return Status::PermissionDenied(what +
                                    " is unknown to this appliance (created on another "
                                    "appliance, or its text was altered); create a new one with "
                                    "`cairnctl token create`");
  }
  // The secret is checked before anything else about the token is revealed.
  CAIRN_ASSIGN_OR_RETURN(bool secret_ok, SecretMatches(parsed->secret, find.ColumnBlob(0)));
  if (!secret_ok) {
    return Status::PermissionDenied(what +
                                    ": wrong secret (the token text was altered or mistyped); "
                                    "copy it again, or create a new token");
  }
  const std::string cluster = find.ColumnText(1);
  const std::int64_t expires = find.ColumnInt64(2);
  if (!find.ColumnIsNull(3)) {
    return Status::PermissionDenied(
        what + " was already used at " + FormatUtc(find.ColumnInt64(3)) + " by agent " +
        find.ColumnText(4) + "; a token enrolls one agent only: create a new one");
  }
  const std::int64_t now = clock_.NowUnixNanos();
  if (now >= expires) {
    return Status::PermissionDenied(what + " expired at " + FormatUtc(expires) +
                                    "; create a new one");
  }
  if (!expected_cluster.empty() && expected_cluster != cluster) {
    return Status::PermissionDenied(
        what + " is for cluster " + cluster + ", not " + std::string(expected_cluster) +
        "; use a token created for cluster " + std::string(expected_cluster));
  }
  find.Reset();

  CAIRN_ASSIGN_OR_RETURN(SqliteStatement use,
                         db_->Prepare("UPDATE enrollment_tokens SET used_unix_ns = ?1, "
                                      "used_by_agent = ?2 WHERE id = ?3 AND used_unix_ns IS NULL"));
  Status st = use.BindInt64(1, now);
  if (st.ok()) st = use.BindText(2, agent_id);
  if (st.ok()) st = use.BindText(3, id);
  if (st.ok()) st = use.Run();
  CAIRN_RETURN_IF_ERROR(st);
  // Unreachable while the transaction holds the write lock; kept so that
  // single use never rests on the locking alone.
  if (db_->changes() != 1) return Status::PermissionDenied(what + " was already used");
  CAIRN_RETURN_IF_ERROR(tx.Commit());
  return cluster;
}

}  // namespace cairn
