// TargetSpec: one replication target's settings -- where it is, how to
// reach it, and the policy the engine follows for it -- as configured with
// `cairnctl target add` and kept in the catalog (replication_targets.spec,
// JSON; docs/formats.md "Replication target spec"). Secrets are never part
// of it: S3 credentials are named by a file path, an appliance target's
// client key lives in the pairing directory.
//
// Thread-safety: plain value type; the functions are pure.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace cairn {

enum class TargetKind { kS3, kAppliance, kDirectory };
std::string_view TargetKindName(TargetKind kind);  // "s3", "appliance", "directory"

enum class ReplicationOrder { kOldestFirst, kNewestFirst };

// A daily window in UTC, [start, end) in minutes after midnight; end <= start
// wraps past midnight ("22:00-06:00").
struct TimeWindow {
  int start_minute = 0;
  int end_minute = 0;
  bool Contains(int minute_of_day) const;
  std::string ToString() const;  // "22:00-06:00"
  friend bool operator==(const TimeWindow&, const TimeWindow&) = default;
};
// "HH:MM-HH:MM"; InvalidArgument saying what was expected.
Result<TimeWindow> ParseTimeWindow(std::string_view text);
// "0" (unlimited), "500000", "10MiB", "1.5MB", "100Mbit" -> bytes per second.
Result<std::uint64_t> ParseByteRate(std::string_view text);

struct S3TargetSettings {
  std::string endpoint;  // "http://127.0.0.1:7480", "https://s3.eu-central-1.amazonaws.com"
  std::string region = "us-east-1";
  std::string bucket;
  std::string prefix;                      // "" or "site-a" (no leading or trailing '/')
  std::filesystem::path credentials_file;  // TOML: access_key = "...", secret_key = "..."
  std::filesystem::path ca_file;           // https trust anchors; empty: the system's
  bool virtual_host = false;               // https://bucket.host/ instead of https://host/bucket/
  // Objects at least this large go up in parts of part_size (S3's minimum
  // part is 5 MiB). Chunks are at most 8 MiB, so only large manifests and
  // targets configured lower use multipart.
  std::uint64_t multipart_threshold = 64ull << 20;
  std::uint64_t part_size = 16ull << 20;
  // No Object Lock setting: when the bucket has Object Lock enabled, a
  // locked snapshot's objects are retained (COMPLIANCE) until the
  // snapshot's own retention lock, an unlocked one's get the bucket's
  // default (sync/engine/target_replicator.h). The former
  // "object_lock_days" is ignored when read (TargetSpec::FromJson).
  friend bool operator==(const S3TargetSettings&, const S3TargetSettings&) = default;
};

struct ApplianceTargetSettings {
  std::string url;  // the remote appliance's ingest listener, "https://host:8443"
  // Set by pairing: holds client.key, client.crt and ca.crt (the pinned CA
  // of the remote appliance). Default <state_dir>/peers/<target name>.
  std::filesystem::path credentials_dir;
  friend bool operator==(const ApplianceTargetSettings&, const ApplianceTargetSettings&) = default;
};

struct DirectoryTargetSettings {
  std::filesystem::path dir;
  friend bool operator==(const DirectoryTargetSettings&, const DirectoryTargetSettings&) = default;
};

struct ReplicationPolicy {
  std::uint64_t bandwidth_limit = 0;  // bytes per second over all streams; 0: unlimited
  std::vector<TimeWindow> windows;    // when replication may run (UTC); empty: always
  ReplicationOrder order = ReplicationOrder::kOldestFirst;
  int streams = 4;                    // uploads in flight, 1..32
  // A backup is reported complete only once this target holds it (falling
  // back to asynchronous, and saying so, while the target is down).
  bool synchronous = false;
  std::chrono::seconds rpo_budget{24 * 3600};  // alert when the RPO passes this
  std::chrono::seconds probe_interval{30};     // WAN monitor period, 1 s..1 h
  friend bool operator==(const ReplicationPolicy&, const ReplicationPolicy&) = default;
};

struct TargetSpec {
  std::string name;  // DNS-1123 label, unique per appliance
  TargetKind kind = TargetKind::kDirectory;
  S3TargetSettings s3;                // kind == kS3
  ApplianceTargetSettings appliance;  // kind == kAppliance
  DirectoryTargetSettings directory;  // kind == kDirectory
  ReplicationPolicy policy;

  // Every field that matters for the kind; checks what Validate checks.
  nlohmann::json ToJson() const;
  // Fields of older specs that no longer mean anything ("s3.object_lock_days",
  // replaced by the snapshot's own lock in issue 6) are ignored, so a stored
  // spec still loads; their names go to `obsolete` when given, for the caller
  // to warn about.
  static Result<TargetSpec> FromJson(const nlohmann::json& j,
                                     std::vector<std::string>* obsolete = nullptr);
  // InvalidArgument naming the field and what it must be.
  Status Validate() const;
  friend bool operator==(const TargetSpec&, const TargetSpec&) = default;
};

}  // namespace cairn
