// Registry: opening, clusters and enrollment tokens. Agents are in
// registry_agents.cc, API tokens and the audit log in registry_access.cc.
#include "appliance/registry/registry.h"

#include <ctime>
#include <utility>

#include "core/protocol/enrollment_token.h"
#include "core/base/dns_label.h"
#include "appliance/registry/one_time_token.h"
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

}  // namespace

bool IsValidClusterName(std::string_view name) { return IsDnsLabel(name); }

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
  CAIRN_ASSIGN_OR_RETURN(MintedToken minted,
                         MintOneTimeToken(kEnrollmentTokenKind, ttl, ca_sha256_hex, created_by));

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
  CAIRN_RETURN_IF_ERROR(
      InsertOneTimeToken(*db_, kEnrollmentTokens, minted, cluster, now, expires, created_by));
  CAIRN_RETURN_IF_ERROR(tx.Commit());
  return EnrollmentToken{std::move(minted.id), std::string(cluster), std::move(minted.text),
                         expires};
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
  // BEGIN IMMEDIATE: the write lock is held from the read to the UPDATE, so
  // no other connection can redeem the token in between.
  CAIRN_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
  const std::int64_t now = clock_.NowUnixNanos();
  CAIRN_ASSIGN_OR_RETURN(RedeemableToken token,
                         CheckRedeemable(*db_, kEnrollmentTokens, token_text, now));
  const std::string& cluster = token.subject;
  if (!expected_cluster.empty() && expected_cluster != cluster) {
    return Status::PermissionDenied(
        token.what + " is for cluster " + cluster + ", not " + std::string(expected_cluster) +
        "; use a token created for cluster " + std::string(expected_cluster));
  }
  CAIRN_RETURN_IF_ERROR(MarkOneTimeTokenUsed(*db_, kEnrollmentTokens, token, agent_id, now));
  CAIRN_RETURN_IF_ERROR(tx.Commit());
  return cluster;
}

}  // namespace cairn
