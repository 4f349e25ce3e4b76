// Registry: backup schedules per cluster (schema v3, see registry.h).
//
// The appliance stores schedules and hands them to its agents; the agent
// parses the cron expression in full (core/schedule/cron_expression.h) and
// refuses a bad one in its log. So that a typo is refused here, at `cairnctl
// schedule set`, and not only there, the checks below cover what can be
// checked without that parser: the cron's shape (5 or 6 fields of cron
// characters, or a known @macro), the kind, and the kind's option keys and
// types (mirroring agent/agent_config.cc's table).
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <utility>

#include "appliance/registry/registry.h"
#include "appliance/registry/registry_util.h"
#include "core/catalog/sqlite_db.h"
#include "core/catalog/sqlite_statement.h"
#include "core/catalog/transaction.h"
#include "core/store/manifest.h"

namespace cairn {
namespace {

using json = nlohmann::json;

constexpr std::size_t kMaxCronBytes = 256;
constexpr std::size_t kMaxOptionsBytes = 16 * 1024;

constexpr std::string_view kScheduleColumns =
    "cluster, name, cron, kind, options, created_unix_ns, updated_unix_ns";

Status CheckCronShape(std::string_view cron) {
  const std::string shown = "cron \"" + std::string(cron.substr(0, 80)) + "\"";
  if (cron.empty() || cron.size() > kMaxCronBytes) {
    return Status::InvalidArgument(shown + ": must be 1 to 256 bytes");
  }
  if (cron.front() == '@') {
    for (std::string_view m : {"@yearly", "@annually", "@monthly", "@weekly", "@daily",
                               "@midnight", "@hourly"}) {
      if (cron == m) return Status::Ok();
    }
    return Status::InvalidArgument(shown + ": unknown macro (allowed: @yearly, @annually, "
                                           "@monthly, @weekly, @daily, @midnight, @hourly)");
  }
  int fields = 0;
  bool in_field = false;
  for (char c : cron) {
    const bool space = c == ' ' || c == '\t';
    if (!space && !std::isalnum(static_cast<unsigned char>(c)) && c != '*' && c != ',' &&
        c != '-' && c != '/') {
      return Status::InvalidArgument(shown + ": character '" + std::string(1, c) +
                                     "' has no meaning in cron (use digits, names, * , - /)");
    }
    if (!space && !in_field) ++fields;
    in_field = !space;
  }
  if (fields != 5 && fields != 6) {
    return Status::InvalidArgument(shown + ": expected 5 fields (minute hour day-of-month month "
                                           "day-of-week), or 6 with a leading seconds field, got " +
                                   std::to_string(fields));
  }
  return Status::Ok();
}

// The option keys of each kind (agent/agent_config.cc has the same table
// and checks values in full).
const std::vector<std::string_view>* OptionKeys(std::string_view kind) {
  static const std::vector<std::string_view> kResources = {
      "snapshot_name",     "include_namespaces", "exclude_namespaces",
      "include_resources", "exclude_resources",  "selector"};
  static const std::vector<std::string_view> kVolumes = {"snapshot_name", "include_namespaces"};
  static const std::vector<std::string_view> kDirectory = {"snapshot_name", "path"};
  if (kind == "resources") return &kResources;
  if (kind == "volumes") return &kVolumes;
  if (kind == "directory") return &kDirectory;
  return nullptr;
}

Status CheckOptions(std::string_view kind, const json& options) {
  const auto* keys = OptionKeys(kind);
  if (keys == nullptr) {
    return Status::InvalidArgument("unknown kind \"" + std::string(kind.substr(0, 64)) +
                                   "\": expected resources, volumes or directory");
  }
  if (!options.is_object()) return Status::InvalidArgument("options must be a JSON object");
  for (const auto& [key, value] : options.items()) {
    if (std::find(keys->begin(), keys->end(), key) == keys->end()) {
      std::string known;
      for (std::string_view k : *keys) known += (known.empty() ? "" : ", ") + std::string(k);
      return Status::InvalidArgument("option \"" + key.substr(0, 64) + "\" is not an option of kind " +
                                     std::string(kind) + " (its options: " + known + ")");
    }
    const bool list = key.find("_namespaces") != std::string::npos ||
                      key.find("_resources") != std::string::npos;
    bool ok = list ? value.is_array() : value.is_string();
    if (list && ok) {
      for (const json& item : value) ok = ok && item.is_string() && !item.get<std::string>().empty();
    }
    if (!ok) {
      return Status::InvalidArgument("option \"" + key + "\": expected " +
                                     (list ? "a list of names" : "a string"));
    }
  }
  if (kind == "directory") {
    if (!options.contains("path") ||
        !std::filesystem::path(options["path"].get<std::string>()).is_absolute()) {
      return Status::InvalidArgument(
          "a directory schedule needs option path, an absolute path (--option path=/data)");
    }
  }
  if (options.contains("snapshot_name")) {
    CAIRN_RETURN_IF_ERROR(ValidateSnapshotName(options["snapshot_name"].get<std::string>())
                              .WithContext("option snapshot_name"));
  }
  return Status::Ok();
}

Registry::ScheduleRecord ReadScheduleRow(const SqliteStatement& stmt) {
  Registry::ScheduleRecord r;
  r.cluster = stmt.ColumnText(0);
  r.name = stmt.ColumnText(1);
  r.cron = stmt.ColumnText(2);
  r.kind = stmt.ColumnText(3);
  r.options_json = stmt.ColumnText(4);
  r.created_unix_ns = stmt.ColumnInt64(5);
  r.updated_unix_ns = stmt.ColumnInt64(6);
  return r;
}

}  // namespace

Result<std::pair<Registry::ScheduleRecord, bool>> Registry::PutSchedule(
    std::string_view cluster, std::string_view name, std::string_view cron, std::string_view kind,
    const json& options) {
  if (!IsValidClusterName(cluster)) {
    return Status::InvalidArgument("invalid cluster name \"" + std::string(cluster.substr(0, 80)) +
                                   "\"");
  }
  CAIRN_RETURN_IF_ERROR(ValidateSnapshotName(name).WithContext("schedule name"));
  CAIRN_RETURN_IF_ERROR(CheckCronShape(cron));
  CAIRN_RETURN_IF_ERROR(CheckOptions(kind, options).WithContext("schedule " + std::string(name)));
  const std::string options_text = options.dump(-1, ' ', false, json::error_handler_t::replace);
  if (options_text.size() > kMaxOptionsBytes) {
    return Status::InvalidArgument("schedule options are larger than 16 KiB");
  }

  std::lock_guard<std::mutex> lock(mu_);
  const std::int64_t now = clock_.NowUnixNanos();
  CAIRN_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement known,
                         db_->Prepare("SELECT (SELECT count(*) FROM clusters WHERE name = ?1), "
                                      "(SELECT count(*) FROM schedules WHERE cluster = ?1), "
                                      "(SELECT count(*) FROM schedules WHERE cluster = ?1 AND "
                                      "name = ?2)"));
  CAIRN_RETURN_IF_ERROR(known.BindText(1, cluster));
  CAIRN_RETURN_IF_ERROR(known.BindText(2, name));
  CAIRN_ASSIGN_OR_RETURN(bool row, known.Step());
  if (!row || known.ColumnInt64(0) == 0) {
    return Status::NotFound("unknown cluster \"" + std::string(cluster) +
                            "\": clusters are created by `cairnctl token create --cluster`; "
                            "check the name with `cairnctl clusters`");
  }
  const bool exists = known.ColumnInt64(2) > 0;
  if (!exists && static_cast<std::size_t>(known.ColumnInt64(1)) >= kMaxSchedulesPerCluster) {
    return Status::InvalidArgument("cluster " + std::string(cluster) + " already has " +
                                   std::to_string(kMaxSchedulesPerCluster) +
                                   " schedules; remove one first");
  }
  known.Reset();
  CAIRN_ASSIGN_OR_RETURN(
      SqliteStatement upsert,
      db_->Prepare("INSERT INTO schedules (cluster, name, cron, kind, options, created_unix_ns, "
                   "updated_unix_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) "
                   "ON CONFLICT (cluster, name) DO UPDATE SET cron = excluded.cron, "
                   "kind = excluded.kind, options = excluded.options, "
                   "updated_unix_ns = excluded.updated_unix_ns"));
  Status st = upsert.BindText(1, cluster);
  if (st.ok()) st = upsert.BindText(2, name);
  if (st.ok()) st = upsert.BindText(3, cron);
  if (st.ok()) st = upsert.BindText(4, kind);
  if (st.ok()) st = upsert.BindText(5, options_text);
  if (st.ok()) st = upsert.BindInt64(6, now);
  if (st.ok()) st = upsert.Run();
  CAIRN_RETURN_IF_ERROR(st.WithContext("set schedule " + std::string(name)));
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement read,
                         db_->Prepare("SELECT " + std::string(kScheduleColumns) +
                                      " FROM schedules WHERE cluster = ?1 AND name = ?2"));
  CAIRN_RETURN_IF_ERROR(read.BindText(1, cluster));
  CAIRN_RETURN_IF_ERROR(read.BindText(2, name));
  CAIRN_ASSIGN_OR_RETURN(bool found, read.Step());
  if (!found) return db_->CorruptionError("schedule " + std::string(name) + " vanished");
  ScheduleRecord record = ReadScheduleRow(read);
  read.Reset();
  CAIRN_RETURN_IF_ERROR(tx.Commit());
  return std::make_pair(std::move(record), !exists);
}

Result<std::vector<Registry::ScheduleRecord>> Registry::ListSchedules(
    std::optional<std::string> cluster) {
  std::lock_guard<std::mutex> lock(mu_);
  CAIRN_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      db_->Prepare("SELECT " + std::string(kScheduleColumns) +
                   " FROM schedules WHERE ?1 IS NULL OR cluster = ?1 ORDER BY cluster, name"));
  if (cluster) CAIRN_RETURN_IF_ERROR(stmt.BindText(1, *cluster));
  std::vector<ScheduleRecord> out;
  for (;;) {
    CAIRN_ASSIGN_OR_RETURN(bool has_row, stmt.Step());
    if (!has_row) break;
    out.push_back(ReadScheduleRow(stmt));
  }
  return out;
}

Status Registry::DeleteSchedule(std::string_view cluster, std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement del,
                         db_->Prepare("DELETE FROM schedules WHERE cluster = ?1 AND name = ?2"));
  Status st = del.BindText(1, cluster);
  if (st.ok()) st = del.BindText(2, name);
  if (st.ok()) st = del.Run();
  CAIRN_RETURN_IF_ERROR(st);
  if (db_->changes() == 0) {
    return Status::NotFound("cluster " + std::string(cluster.substr(0, 80)) + " has no schedule \"" +
                            std::string(name.substr(0, 128)) + "\" (see `cairnctl schedule list`)");
  }
  return Status::Ok();
}

}  // namespace cairn
