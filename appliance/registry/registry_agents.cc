// Registry: enrolled agents (see registry.h).
#include <algorithm>
#include <cctype>

#include "core/protocol/enrollment_token.h"
#include "appliance/registry/registry.h"
#include "appliance/registry/registry_util.h"
#include "core/catalog/sqlite_db.h"
#include "core/catalog/sqlite_statement.h"
#include "core/catalog/transaction.h"

namespace cairn {
namespace {

// Column order shared by every agent query and ReadAgentRow().
constexpr std::string_view kAgentColumns =
    "id, cluster, common_name, cert_serial, cert_sha256, created_unix_ns, cert_not_after_unix, "
    "revoked_unix_ns, last_seen_unix_ns";

// last_seen is written at most this often per agent.
constexpr std::int64_t kTouchIntervalNanos = 60 * kNanosPerSecond;

std::string SelectAgents(std::string_view tail) {
  std::string sql = "SELECT ";
  sql += kAgentColumns;
  sql += " FROM agents ";
  sql += tail;
  return sql;
}

Registry::AgentRecord ReadAgentRow(const SqliteStatement& stmt) {
  Registry::AgentRecord r;
  r.id = stmt.ColumnText(0);
  r.cluster = stmt.ColumnText(1);
  r.common_name = stmt.ColumnText(2);
  r.cert_serial = stmt.ColumnText(3);
  r.cert_sha256 = stmt.ColumnText(4);
  r.created_unix_ns = stmt.ColumnInt64(5);
  r.cert_not_after_unix = stmt.ColumnInt64(6);
  r.revoked_unix_ns = OptionalColumnInt64(stmt, 7);
  r.last_seen_unix_ns = OptionalColumnInt64(stmt, 8);
  return r;
}

Result<std::vector<Registry::AgentRecord>> ReadAgents(SqliteStatement& stmt) {
  std::vector<Registry::AgentRecord> out;
  for (;;) {
    CAIRN_ASSIGN_OR_RETURN(bool has_row, stmt.Step());
    if (!has_row) break;
    out.push_back(ReadAgentRow(stmt));
  }
  return out;
}

Status CheckAgentFields(const Registry::AgentRecord& a) {
  if (!IsValidAgentId(a.id)) return InvalidAgentIdError(a.id);
  if (!IsValidClusterName(a.cluster)) {
    return Status::InvalidArgument("agent " + a.id + ": invalid cluster name \"" +
                                   a.cluster.substr(0, 80) + "\"");
  }
  if (a.cert_serial.empty() || a.cert_serial.size() > 128) {
    return Status::InvalidArgument("agent " + a.id +
                                   ": certificate serial must be 1 to 128 characters");
  }
  if (!IsSha256Hex(a.cert_sha256)) {
    return Status::InvalidArgument("agent " + a.id + ": certificate SHA-256 must be 64 hex digits");
  }
  if (a.common_name.size() > 256) {
    return Status::InvalidArgument("agent " + a.id + ": common name longer than 256 bytes");
  }
  return Status::Ok();
}

}  // namespace

Status Registry::RegisterAgent(const AgentRecord& agent) {
  CAIRN_RETURN_IF_ERROR(CheckAgentFields(agent));
  std::string sha = agent.cert_sha256;
  std::transform(sha.begin(), sha.end(), sha.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });

  std::lock_guard<std::mutex> lock(mu_);
  const std::string what = "register agent " + agent.id;
  CAIRN_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
  // Checked here, inside the transaction, for messages that name the
  // conflict; the schema's keys and foreign key enforce the same.
  {
    CAIRN_ASSIGN_OR_RETURN(SqliteStatement cluster,
                           db_->Prepare("SELECT 1 FROM clusters WHERE name = ?1"));
    CAIRN_RETURN_IF_ERROR(cluster.BindText(1, agent.cluster));
    CAIRN_ASSIGN_OR_RETURN(bool known, cluster.Step());
    if (!known) {
      return Status::InvalidArgument(what + ": unknown cluster " + agent.cluster +
                                     " (clusters are created with their first enrollment token)");
    }
    CAIRN_ASSIGN_OR_RETURN(std::optional<std::string> holder,
                           FindIdOrSerial(*db_, "agents", agent.id, agent.cert_serial));
    if (holder) {
      if (*holder == agent.id) {
        return Status::AlreadyExists(what + ": an agent with this id is already registered");
      }
      return Status::AlreadyExists(what + ": certificate serial " + agent.cert_serial +
                                   " already belongs to agent " + *holder);
    }
  }
  CAIRN_ASSIGN_OR_RETURN(
      SqliteStatement insert,
      db_->Prepare("INSERT INTO agents (id, cluster, common_name, cert_serial, cert_sha256, "
                   "created_unix_ns, cert_not_after_unix) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  const std::int64_t created =
      agent.created_unix_ns != 0 ? agent.created_unix_ns : clock_.NowUnixNanos();
  Status st = insert.BindText(1, agent.id);
  if (st.ok()) st = insert.BindText(2, agent.cluster);
  if (st.ok()) st = insert.BindText(3, agent.common_name);
  if (st.ok()) st = insert.BindText(4, agent.cert_serial);
  if (st.ok()) st = insert.BindText(5, sha);
  if (st.ok()) st = insert.BindInt64(6, created);
  if (st.ok()) st = insert.BindInt64(7, agent.cert_not_after_unix);
  if (st.ok()) st = insert.Run();
  CAIRN_RETURN_IF_ERROR(st.WithContext(what));
  return tx.Commit().WithContext(what);
}

Result<std::vector<Registry::AgentRecord>> Registry::ListAgents(
    std::optional<std::string> cluster) {
  std::lock_guard<std::mutex> lock(mu_);
  CAIRN_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      db_->Prepare(cluster ? SelectAgents("WHERE cluster = ?1 ORDER BY created_unix_ns, id")
                           : SelectAgents("ORDER BY cluster, created_unix_ns, id")));
  if (cluster) CAIRN_RETURN_IF_ERROR(stmt.BindText(1, *cluster));
  return ReadAgents(stmt);
}

Result<std::optional<Registry::AgentRecord>> Registry::FindAgentBySerial(
    std::string_view cert_serial) {
  std::lock_guard<std::mutex> lock(mu_);
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt,
                         db_->Prepare(SelectAgents("WHERE cert_serial = ?1")));
  CAIRN_RETURN_IF_ERROR(stmt.BindText(1, cert_serial));
  CAIRN_ASSIGN_OR_RETURN(bool found, stmt.Step());
  if (!found) return std::optional<AgentRecord>();
  return std::optional<AgentRecord>(ReadAgentRow(stmt));
}

Status Registry::RevokeAgent(std::string_view agent_id) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string what = "revoke agent " + std::string(agent_id);
  CAIRN_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement exists,
                         db_->Prepare("SELECT 1 FROM agents WHERE id = ?1"));
  CAIRN_RETURN_IF_ERROR(exists.BindText(1, agent_id));
  CAIRN_ASSIGN_OR_RETURN(bool found, exists.Step());
  if (!found) {
    return Status::NotFound(what + ": no such agent");
  }
  // The first revocation time is kept: it is when trust ended.
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement revoke,
                         db_->Prepare("UPDATE agents SET revoked_unix_ns = ?1 "
                                      "WHERE id = ?2 AND revoked_unix_ns IS NULL"));
  Status st = revoke.BindInt64(1, clock_.NowUnixNanos());
  if (st.ok()) st = revoke.BindText(2, agent_id);
  if (st.ok()) st = revoke.Run();
  CAIRN_RETURN_IF_ERROR(st.WithContext(what));
  return tx.Commit().WithContext(what);
}

Status Registry::TouchAgent(std::string_view agent_id) {
  return TouchRow("agents", "agent", agent_id, agent_seen_written_);
}

Status Registry::TouchRow(std::string_view table, std::string_view noun, std::string_view id,
                          std::unordered_map<std::string, std::int64_t>& written) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::int64_t mono = clock_.MonotonicNanos();
  const std::string key(id);
  if (auto it = written.find(key); it != written.end() && mono - it->second < kTouchIntervalNanos) {
    return Status::Ok();
  }
  const std::string what = "touch " + std::string(noun) + " " + key;
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement touch,
                         db_->Prepare("UPDATE " + std::string(table) +
                                      " SET last_seen_unix_ns = ?1 WHERE id = ?2"));
  Status st = touch.BindInt64(1, clock_.NowUnixNanos());
  if (st.ok()) st = touch.BindText(2, id);
  if (st.ok()) st = touch.Run();
  CAIRN_RETURN_IF_ERROR(st.WithContext(what));
  if (db_->changes() == 0) return Status::NotFound(what + ": no such " + std::string(noun));
  written[key] = mono;
  return Status::Ok();
}

}  // namespace cairn
