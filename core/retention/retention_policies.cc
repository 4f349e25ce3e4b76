#include "core/retention/retention_policies.h"

#include "core/catalog/sqlite_statement.h"

namespace cairn {
namespace {

constexpr std::string_view kScheduleTag = "schedule=";

Result<StoredRetentionPolicy> ReadRow(SqliteStatement& stmt) {
  StoredRetentionPolicy p;
  p.cluster = stmt.ColumnText(0);
  p.schedule = stmt.ColumnText(1);
  const auto json = nlohmann::json::parse(stmt.ColumnText(2), nullptr, false);
  auto policy = RetentionPolicy::FromJson(json);
  if (!policy.ok()) {
    return Status::Corruption("retention policy of cluster '" + p.cluster + "' schedule '" +
                              p.schedule + "' in the catalog: " + policy.error().message() +
                              "; set it again with `cairnctl retention set`");
  }
  p.policy = *policy;
  p.updated_unix_ns = stmt.ColumnInt64(3);
  p.updated_by = stmt.ColumnText(4);
  return p;
}

constexpr std::string_view kColumns = "cluster, schedule, policy, updated_unix_ns, updated_by";

}  // namespace

std::string ScheduleOfTags(const std::vector<std::string>& tags) {
  for (const std::string& tag : tags) {
    if (tag.starts_with(kScheduleTag)) return tag.substr(kScheduleTag.size());
  }
  return "";
}

Status RetentionPolicies::Set(const StoredRetentionPolicy& p) {
  CAIRN_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      db_.Prepare("INSERT OR REPLACE INTO retention_policies (" + std::string(kColumns) +
                  ") VALUES (?1, ?2, ?3, ?4, ?5)"));
  Status st = stmt.BindText(1, p.cluster);
  if (st.ok()) st = stmt.BindText(2, p.schedule);
  if (st.ok()) st = stmt.BindText(3, p.policy.ToJson().dump());
  if (st.ok()) st = stmt.BindInt64(4, p.updated_unix_ns);
  if (st.ok()) st = stmt.BindText(5, p.updated_by);
  if (st.ok()) st = stmt.Run();
  return st.WithContext("set retention policy");
}

Status RetentionPolicies::Remove(const std::string& cluster, const std::string& schedule) {
  CAIRN_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      db_.Prepare("DELETE FROM retention_policies WHERE cluster = ?1 AND schedule = ?2"));
  Status st = stmt.BindText(1, cluster);
  if (st.ok()) st = stmt.BindText(2, schedule);
  if (st.ok()) st = stmt.Run();
  CAIRN_RETURN_IF_ERROR(st.WithContext("remove retention policy"));
  if (db_.changes() != 1) {
    return Status::NotFound("no retention policy for cluster '" + cluster + "'" +
                            (schedule.empty() ? "" : " schedule '" + schedule + "'"));
  }
  return Status::Ok();
}

Result<std::vector<StoredRetentionPolicy>> RetentionPolicies::List(
    const std::optional<std::string>& cluster) {
  CAIRN_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      db_.Prepare("SELECT " + std::string(kColumns) + " FROM retention_policies " +
                  (cluster ? "WHERE cluster = ?1 " : "") + "ORDER BY cluster, schedule"));
  if (cluster) CAIRN_RETURN_IF_ERROR(stmt.BindText(1, *cluster));
  std::vector<StoredRetentionPolicy> out;
  for (;;) {
    CAIRN_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    CAIRN_ASSIGN_OR_RETURN(StoredRetentionPolicy p, ReadRow(stmt));
    out.push_back(std::move(p));
  }
  return out;
}

Result<std::optional<StoredRetentionPolicy>> RetentionPolicies::Governing(
    const std::string& cluster, const std::string& schedule) {
  CAIRN_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      db_.Prepare("SELECT " + std::string(kColumns) +
                  " FROM retention_policies WHERE cluster = ?1 AND schedule IN (?2, '') "
                  "ORDER BY schedule DESC LIMIT 1"));
  Status st = stmt.BindText(1, cluster);
  if (st.ok()) st = stmt.BindText(2, schedule);
  CAIRN_RETURN_IF_ERROR(st);
  CAIRN_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<StoredRetentionPolicy>();
  CAIRN_ASSIGN_OR_RETURN(StoredRetentionPolicy p, ReadRow(stmt));
  return std::optional<StoredRetentionPolicy>(std::move(p));
}

}  // namespace cairn
