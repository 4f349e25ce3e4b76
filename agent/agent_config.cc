#include "agent/agent_config.h"

#include <algorithm>
#include <functional>
#include <set>
#include <utility>

// toml++ (Debian 3.3) is built with exceptions and exports only that
// variant; its one throwing call here, toml::parse, is caught below (as in
// appliance/config/appliance_config.cc).
#include <toml++/toml.h>

#include "core/schedule/cron_expression.h"
#include "core/base/file_system.h"
#include "core/store/manifest.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr std::size_t kMaxConfigBytes = 1 << 20;
constexpr std::size_t kMaxSchedules = 256;
constexpr std::size_t kMaxListItems = 1024;
constexpr std::size_t kMaxOptionBytes = 4096;

// The option keys each kind takes (snapshot_name is common to all).
const std::vector<std::string>& OptionKeys(JobKind kind) {
  static const std::vector<std::string> kResources = {
      "snapshot_name",     "include_namespaces", "exclude_namespaces",
      "include_resources", "exclude_resources",  "selector"};
  static const std::vector<std::string> kVolumes = {"snapshot_name", "include_namespaces"};
  static const std::vector<std::string> kDirectory = {"snapshot_name", "path"};
  switch (kind) {
    case JobKind::kResources:
      return kResources;
    case JobKind::kVolumes:
      return kVolumes;
    case JobKind::kDirectory:
      break;
  }
  return kDirectory;
}

// Volumes: "" lets the volume job name it per node (volumes-<node>), since
// every node agent runs the same schedule.
std::string DefaultSnapshotName(const ScheduleConfig& s) {
  return s.kind == JobKind::kVolumes ? "" : s.name;
}

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

Status StringOption(const json& j, const std::string& where, std::string* out) {
  if (!j.is_string()) return Status::InvalidArgument(where + ": expected a string");
  std::string v = j.get<std::string>();
  if (v.size() > kMaxOptionBytes) {
    return Status::InvalidArgument(where + ": longer than " + std::to_string(kMaxOptionBytes) +
                                   " bytes");
  }
  *out = std::move(v);
  return Status::Ok();
}

Status ListOption(const json& j, const std::string& where, std::vector<std::string>* out) {
  if (!j.is_array()) return Status::InvalidArgument(where + ": expected an array of strings");
  if (j.size() > kMaxListItems) {
    return Status::InvalidArgument(where + ": more than " + std::to_string(kMaxListItems) +
                                   " items");
  }
  out->clear();
  for (const json& item : j) {
    std::string v;
    CAIRN_RETURN_IF_ERROR(StringOption(item, where, &v));
    if (v.empty()) return Status::InvalidArgument(where + ": an item is empty");
    out->push_back(std::move(v));
  }
  return Status::Ok();
}

// TOML value -> JSON, strings and arrays of strings only (options).
Result<json> TomlOption(const toml::node& n) {
  if (const auto* s = n.as_string()) return json(s->get());
  if (const auto* a = n.as_array()) {
    json out = json::array();
    for (const toml::node& item : *a) {
      const auto* s = item.as_string();
      if (s == nullptr) return Status::InvalidArgument("expected an array of strings");
      out.push_back(s->get());
    }
    return out;
  }
  return Status::InvalidArgument("expected a string or an array of strings");
}

class ConfigReader {
 public:
  ConfigReader(std::string_view source, const fs::path& base) : source_(source), base_(base) {}

  Result<AgentConfig> Read(const toml::table& root);

 private:
  std::string At(const toml::node& n) const {
    return std::string(source_) + ":" + std::to_string(n.source().begin.line) + ": ";
  }
  Status Error(const toml::node& n, const std::string& key, const std::string& what) const {
    return Status::InvalidArgument(At(n) + key + ": " + what);
  }
  Status String(const toml::node& n, const std::string& key, std::string* out) const {
    const auto* s = n.as_string();
    if (s == nullptr) return Error(n, key, "expected a string");
    *out = s->get();
    return Status::Ok();
  }
  Status Path(const toml::node& n, const std::string& key, fs::path* out) const {
    std::string v;
    CAIRN_RETURN_IF_ERROR(String(n, key, &v));
    *out = v.empty() ? fs::path() : (base_ / v).lexically_normal();
    return Status::Ok();
  }
  Status Integer(const toml::node& n, const std::string& key, std::int64_t min, std::int64_t max,
                 std::int64_t* out) const {
    const auto* i = n.as_integer();
    if (i == nullptr) return Error(n, key, "expected an integer");
    if (i->get() < min || i->get() > max) {
      return Error(n, key, std::to_string(i->get()) + " is out of range " + std::to_string(min) +
                               ".." + std::to_string(max));
    }
    *out = i->get();
    return Status::Ok();
  }
  using Setter = std::function<Status(const toml::node&, const std::string&)>;
  Status Section(const toml::node& n, const std::string& name,
                 const std::vector<std::pair<std::string, Setter>>& keys);
  Status Schedule(const toml::node& n, std::size_t index, AgentConfig* out);

  std::string_view source_;
  fs::path base_;
};

Status ConfigReader::Section(const toml::node& n, const std::string& name,
                             const std::vector<std::pair<std::string, Setter>>& keys) {
  const toml::table* t = n.as_table();
  if (t == nullptr) return Error(n, name, "expected a table ([" + name + "])");
  for (auto&& [k, v] : *t) {
    const std::string key(k.str());
    const Setter* set = nullptr;
    std::vector<std::string> known;
    for (const auto& [kk, s] : keys) {
      known.push_back(kk);
      if (kk == key) set = &s;
    }
    if (set == nullptr) {
      return Error(v, name + "." + key, "unknown key (known in [" + name + "]: " + Joined(known) +
                                            ")");
    }
    CAIRN_RETURN_IF_ERROR((*set)(v, name + "." + key));
  }
  return Status::Ok();
}

Status ConfigReader::Schedule(const toml::node& n, std::size_t index, AgentConfig* out) {
  const std::string key = "schedule[" + std::to_string(index) + "]";
  const toml::table* t = n.as_table();
  if (t == nullptr) return Error(n, key, "expected a table ([[schedule]])");
  ScheduleConfig s;
  json options = json::object();
  std::string kind = "";
  for (auto&& [k, v] : *t) {
    const std::string name(k.str());
    if (name == "name") {
      CAIRN_RETURN_IF_ERROR(String(v, key + ".name", &s.name));
    } else if (name == "cron") {
      CAIRN_RETURN_IF_ERROR(String(v, key + ".cron", &s.cron));
    } else if (name == "kind") {
      CAIRN_RETURN_IF_ERROR(String(v, key + ".kind", &kind));
    } else {
      auto value = TomlOption(v);
      if (!value.ok()) return Error(v, key + "." + name, value.error().message());
      options[name] = std::move(*value);
    }
  }
  if (s.name.empty()) return Error(n, key + ".name", "missing (every schedule needs a name)");
  if (Status st = ValidateSnapshotName(s.name); !st.ok()) {
    return Error(n, key + ".name", st.message());
  }
  const std::string named = key + " \"" + s.name + "\"";
  if (s.cron.empty()) return Error(n, named + ".cron", "missing (e.g. cron = \"0 * * * *\")");
  if (auto c = CronExpression::Parse(s.cron); !c.ok()) {
    return Error(n, named + ".cron", c.error().message());
  }
  if (kind.empty()) return Error(n, named + ".kind", "missing (resources, volumes or directory)");
  auto k = ParseJobKind(kind);
  if (!k.ok()) return Error(n, named + ".kind", k.error().message());
  s.kind = *k;
  CAIRN_RETURN_IF_ERROR(ParseScheduleOptions(options, At(n) + named, &s));
  for (const ScheduleConfig& other : out->schedules) {
    if (other.name == s.name) {
      return Error(n, named + ".name", "a second schedule with this name (names are unique)");
    }
  }
  if (out->schedules.size() >= kMaxSchedules) {
    return Error(n, key, "more than " + std::to_string(kMaxSchedules) + " schedules");
  }
  out->schedules.push_back(std::move(s));
  return Status::Ok();
}

Result<AgentConfig> ConfigReader::Read(const toml::table& root) {
  AgentConfig c;
  auto path = [this](fs::path* p) {
    return [this, p](const toml::node& n, const std::string& k) { return Path(n, k, p); };
  };
  auto text = [this](std::string* s) {
    return [this, s](const toml::node& n, const std::string& k) { return String(n, k, s); };
  };
  auto seconds = [this](std::int64_t* field, std::int64_t min, std::int64_t max) {
    return [this, field, min, max](const toml::node& n, const std::string& k) {
      return Integer(n, k, min, max, field);
    };
  };
  for (auto&& [k, v] : root) {
    const std::string name(k.str());
    Status st;
    if (name == "agent") {
      st = Section(v, name,
                   {{"state_dir", path(&c.state_dir)},
                    {"node_name", text(&c.node_name)},
                    {"kubelet_dir", path(&c.kubelet_dir)}});
    } else if (name == "kubernetes") {
      st = Section(v, name, {{"kubeconfig", path(&c.kubeconfig)}, {"context", text(&c.context)}});
    } else if (name == "enrollment") {
      st = Section(v, name,
                   {{"appliance", text(&c.appliance_url)},
                    {"token_file", path(&c.token_file)},
                    {"cluster", text(&c.cluster)}});
    } else if (name == "run") {
      st = Section(v, name,
                   {{"retry_initial_seconds", seconds(&c.retry_initial_seconds, 1, 3600)},
                    {"retry_max_seconds", seconds(&c.retry_max_seconds, 1, 86400)},
                    {"refresh_seconds", seconds(&c.refresh_seconds, 1, 86400)}});
    } else if (name == "schedule") {
      const toml::array* a = v.as_array();
      if (a == nullptr) return Error(v, name, "expected [[schedule]] tables");
      for (std::size_t i = 0; i < a->size() && st.ok(); ++i) st = Schedule((*a)[i], i, &c);
    } else {
      return Error(v, name,
                   "unknown section or key (known: [agent], [kubernetes], [enrollment], [run], "
                   "[[schedule]])");
    }
    CAIRN_RETURN_IF_ERROR(st);
  }
  if (c.state_dir.empty()) {
    return Status::InvalidArgument(std::string(source_) + ": agent.state_dir: must not be empty");
  }
  if (c.retry_max_seconds < c.retry_initial_seconds) {
    return Status::InvalidArgument(std::string(source_) +
                                   ": run.retry_max_seconds: must be at least "
                                   "run.retry_initial_seconds");
  }
  if (!c.appliance_url.empty() && c.appliance_url.rfind("https://", 0) != 0) {
    return Status::InvalidArgument(std::string(source_) + ": enrollment.appliance: \"" +
                                   c.appliance_url.substr(0, 80) +
                                   "\" must be an https:// URL of the ingest listener");
  }
  if (!c.token_file.empty() && c.appliance_url.empty()) {
    return Status::InvalidArgument(std::string(source_) +
                                   ": enrollment.token_file: needs enrollment.appliance (where "
                                   "to enroll)");
  }
  return c;
}

}  // namespace

std::string_view JobKindName(JobKind kind) {
  switch (kind) {
    case JobKind::kResources:
      return "resources";
    case JobKind::kVolumes:
      return "volumes";
    case JobKind::kDirectory:
      return "directory";
  }
  return "unknown";
}

Result<JobKind> ParseJobKind(std::string_view name) {
  for (JobKind k : {JobKind::kResources, JobKind::kVolumes, JobKind::kDirectory}) {
    if (name == JobKindName(k)) return k;
  }
  return Status::InvalidArgument("unknown kind \"" + std::string(name.substr(0, 64)) +
                                 "\": expected resources, volumes or directory");
}

Status ParseScheduleOptions(const json& options, std::string_view where_prefix,
                            ScheduleConfig* out) {
  const std::string where(where_prefix);
  if (!options.is_object()) return Status::InvalidArgument(where + ": options must be an object");
  const std::vector<std::string>& known = OptionKeys(out->kind);
  out->snapshot_name = DefaultSnapshotName(*out);
  for (const auto& [key, value] : options.items()) {
    const std::string at = where + "." + key;
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return Status::InvalidArgument(at + ": not an option of kind " +
                                     std::string(JobKindName(out->kind)) + " (its options: " +
                                     Joined(known) + ")");
    }
    Status st;
    if (key == "snapshot_name") {
      st = StringOption(value, at, &out->snapshot_name);
      if (st.ok()) st = ValidateSnapshotName(out->snapshot_name).WithContext(at);
    } else if (key == "path") {
      st = StringOption(value, at, &out->directory.path);
    } else if (key == "selector") {
      st = StringOption(value, at, &out->resources.selector);
    } else if (key == "include_namespaces") {
      st = ListOption(value, at,
                      out->kind == JobKind::kVolumes ? &out->volumes.include_namespaces
                                                     : &out->resources.include_namespaces);
    } else if (key == "exclude_namespaces") {
      st = ListOption(value, at, &out->resources.exclude_namespaces);
    } else if (key == "include_resources") {
      st = ListOption(value, at, &out->resources.include_resources);
    } else if (key == "exclude_resources") {
      st = ListOption(value, at, &out->resources.exclude_resources);
    }
    CAIRN_RETURN_IF_ERROR(st);
  }
  if (out->kind == JobKind::kDirectory) {
    if (out->directory.path.empty()) {
      return Status::InvalidArgument(where + ".path: missing (a directory schedule backs up one "
                                             "directory: path = \"/data\")");
    }
    if (!fs::path(out->directory.path).is_absolute()) {
      return Status::InvalidArgument(where + ".path: \"" + out->directory.path.substr(0, 200) +
                                     "\" must be an absolute path");
    }
  }
  return Status::Ok();
}

json ScheduleOptionsToJson(const ScheduleConfig& s) {
  json o = json::object();
  if (s.snapshot_name != DefaultSnapshotName(s)) o["snapshot_name"] = s.snapshot_name;
  auto list = [&o](const char* key, const std::vector<std::string>& v) {
    if (!v.empty()) o[key] = v;
  };
  switch (s.kind) {
    case JobKind::kResources:
      list("include_namespaces", s.resources.include_namespaces);
      list("exclude_namespaces", s.resources.exclude_namespaces);
      list("include_resources", s.resources.include_resources);
      list("exclude_resources", s.resources.exclude_resources);
      if (!s.resources.selector.empty()) o["selector"] = s.resources.selector;
      break;
    case JobKind::kVolumes:
      list("include_namespaces", s.volumes.include_namespaces);
      break;
    case JobKind::kDirectory:
      o["path"] = s.directory.path;
      break;
  }
  return o;
}

Result<ScheduleConfig> ScheduleFromJson(const json& j) {
  if (!j.is_object()) return Status::InvalidArgument("a schedule must be a JSON object");
  for (const char* key : {"name", "cron", "kind"}) {
    if (!j.contains(key) || !j[key].is_string()) {
      return Status::InvalidArgument(std::string("a schedule has no \"") + key + "\" string");
    }
  }
  ScheduleConfig s;
  s.origin = "appliance";
  s.name = j["name"].get<std::string>();
  CAIRN_RETURN_IF_ERROR(ValidateSnapshotName(s.name).WithContext("schedule name"));
  const std::string where = "schedule \"" + s.name + "\"";
  s.cron = j["cron"].get<std::string>();
  if (auto c = CronExpression::Parse(s.cron); !c.ok()) return c.error().WithContext(where);
  CAIRN_ASSIGN_OR_RETURN(s.kind, ParseJobKind(j["kind"].get<std::string>()));
  const json options = j.contains("options") ? j["options"] : json::object();
  CAIRN_RETURN_IF_ERROR(ParseScheduleOptions(options, where, &s));
  return s;
}

json ScheduleToJson(const ScheduleConfig& s) {
  return {{"name", s.name},
          {"cron", s.cron},
          {"kind", std::string(JobKindName(s.kind))},
          {"options", ScheduleOptionsToJson(s)}};
}

Result<AgentConfig> ParseAgentConfig(std::string_view text, const fs::path& base_dir,
                                     std::string_view source) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(std::string(source) + ":" +
                                   std::to_string(e.source().begin.line) + ": " +
                                   std::string(e.description()));
  }
  return ConfigReader(source, base_dir).Read(root);
}

Result<AgentConfig> LoadAgentConfig(const fs::path& file) {
  CAIRN_ASSIGN_OR_RETURN(Bytes raw, ReadWholeFile(DefaultFileSystem(), file, kMaxConfigBytes));
  const std::string text(raw.begin(), raw.end());
  fs::path base = fs::absolute(file).parent_path();
  return ParseAgentConfig(text, base, file.string());
}

}  // namespace cairn
