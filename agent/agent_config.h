// AgentConfig: the settings of `cairn-agent run`, read once from a TOML file
// (the documented example is configs/agent.toml; in a cluster, the
// cairn-agent-config ConfigMap) into one plain aggregate, validated, and
// passed by const& to the run loop.
//
// Also the one definition of a schedule (ScheduleConfig) and of its kind
// options, whether it comes from the config's [[schedule]] tables or from
// the appliance (GET /v1/agent/schedules, docs/protocol.md): both go through
// the same option checks (ParseScheduleOptions), so a schedule means the same
// wherever it was written.
//
// Refused, each with "<file>:<line>: <key>: <what was expected>": unknown
// sections and keys, wrong TOML types, out-of-range numbers, a cron
// expression that does not parse, an unknown kind, options that do not
// belong to the kind, a directory schedule without an absolute path, two
// schedules with one name.
//
// Paths (state_dir, kubeconfig, token_file, kubelet_dir) may be relative to
// the config file's directory; after parsing they are absolute.
//
// Thread-safety: immutable values and pure functions (LoadAgentConfig reads
// its file).
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace cairn {

enum class JobKind { kResources, kVolumes, kDirectory };

// "resources", "volumes", "directory".
std::string_view JobKindName(JobKind kind);
// InvalidArgument listing the three names.
Result<JobKind> ParseJobKind(std::string_view name);

struct ResourceJobOptions {
  std::vector<std::string> include_namespaces;  // empty: all
  std::vector<std::string> exclude_namespaces;
  std::vector<std::string> include_resources;   // "deployments", "widgets.example.com"; empty: all
  std::vector<std::string> exclude_resources;
  std::string selector;                         // label selector, e.g. "app=web,tier!=cache"

  friend bool operator==(const ResourceJobOptions&, const ResourceJobOptions&) = default;
};

struct VolumeJobOptions {
  std::vector<std::string> include_namespaces;  // empty: every PVC mounted on this node

  friend bool operator==(const VolumeJobOptions&, const VolumeJobOptions&) = default;
};

struct DirectoryJobOptions {
  std::string path;  // absolute

  friend bool operator==(const DirectoryJobOptions&, const DirectoryJobOptions&) = default;
};

struct ScheduleConfig {
  std::string name;  // unique per agent; A-Z a-z 0-9 . _ - (a snapshot name)
  std::string cron;  // core/schedule/cron_expression.h; UTC
  JobKind kind = JobKind::kDirectory;
  std::string snapshot_name;  // default: name ("" for volumes: volumes-<node>)
  ResourceJobOptions resources;
  VolumeJobOptions volumes;
  DirectoryJobOptions directory;
  std::string origin = "config";  // "config" or "appliance", for log lines

  friend bool operator==(const ScheduleConfig&, const ScheduleConfig&) = default;
};

struct AgentConfig {
  // [agent]
  std::filesystem::path state_dir = "/var/lib/cairn-agent";
  std::string node_name;                                 // volumes mode: this node ("" = host name)
  std::filesystem::path kubelet_dir = "/var/lib/kubelet";  // where pods' volumes are mounted

  // [kubernetes]: empty kubeconfig = as the other commands choose:
  // $KUBECONFIG, the in-cluster service account, then ~/.kube/config.
  std::filesystem::path kubeconfig;
  std::string context;

  // [enrollment]: used only when the state dir holds no enrollment yet.
  std::string appliance_url;         // https://HOST:PORT of the ingest listener
  std::filesystem::path token_file;  // a one-time token (a mounted Secret)
  std::string cluster;               // optional: refuse a token of another cluster

  // [run]
  std::int64_t retry_initial_seconds = 15;  // first retry after a failed run; doubles
  std::int64_t retry_max_seconds = 300;     // bound of the retry backoff
  std::int64_t refresh_seconds = 60;        // how often schedules are fetched from the appliance

  std::vector<ScheduleConfig> schedules;  // [[schedule]]

  friend bool operator==(const AgentConfig&, const AgentConfig&) = default;
};

// `source` names the text in messages; `base_dir` resolves relative paths.
Result<AgentConfig> ParseAgentConfig(std::string_view text, const std::filesystem::path& base_dir,
                                     std::string_view source);
// At most 1 MiB. NotFound when the file does not exist.
Result<AgentConfig> LoadAgentConfig(const std::filesystem::path& file);

// Checks and applies a schedule's kind options (a JSON object of strings
// and arrays of strings) to `out` (whose name and kind are set). `where`
// prefixes messages ("agent.toml:12: schedule \"web\"").
Status ParseScheduleOptions(const nlohmann::json& options, std::string_view where,
                            ScheduleConfig* out);
// The options back as JSON (only the ones of its kind, and snapshot_name
// when it differs from the name): what the appliance stores.
nlohmann::json ScheduleOptionsToJson(const ScheduleConfig& s);

// One schedule of the appliance's list: {"name","cron","kind","options"}.
Result<ScheduleConfig> ScheduleFromJson(const nlohmann::json& j);
nlohmann::json ScheduleToJson(const ScheduleConfig& s);

}  // namespace cairn
