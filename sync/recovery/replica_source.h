// ReplicaSource: where the replica a store was attached to lives -- a
// directory or an S3 bucket (a TargetSpec, opened through OpenReplicaTarget
// like every replication target), or the copy a remote Cairn appliance
// holds for this store, read over that appliance's admin API.
//
// `cairnctl replica attach` records it in <store>/replica-source.json, so
// that later restores fetch the chunks the store does not hold yet from
// there. It never holds a secret: S3 credentials are named by a file path,
// and an appliance's admin token is given again to every command that needs
// it (ReplicaSecrets, from a flag or an environment variable). Format:
// docs/formats.md, "Replica source".
//
// Thread-safety: plain values; the factory it makes may be called from any
// thread, each call making a target for that thread (ReplicaTarget objects
// are per thread).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/base/file_system.h"
#include "core/base/status.h"
#include "sync/target/replica_target.h"
#include "sync/target/target_spec.h"

namespace cairn {

enum class ReplicaSourceKind {
  kTarget,          // a directory or S3 TargetSpec
  kApplianceAdmin,  // a remote appliance's held replica, over its admin API
};

struct ApplianceReplicaSettings {
  std::string admin_url;          // "https://b.example:9443"
  std::filesystem::path ca_file;  // the remote appliance's CA certificate (its pki/ca.crt)
  std::string peer_id;            // whose replica: the id B knows this store's appliance by
};

struct ReplicaSource {
  ReplicaSourceKind kind = ReplicaSourceKind::kTarget;
  TargetSpec target;                   // kTarget (kind kDirectory or kS3)
  ApplianceReplicaSettings appliance;  // kApplianceAdmin

  // "directory /mnt/dr", "s3 http://host:7480 bucket/prefix",
  // "appliance https://b:9443 peer site-a".
  std::string Describe() const;
  // InvalidArgument naming what is wrong (an appliance push target cannot
  // be read back without its pairing; use the admin-API source).
  Status Validate() const;
  nlohmann::json ToJson() const;
  static Result<ReplicaSource> FromJson(const nlohmann::json& j);
};

// What a source may need that is never written down.
struct ReplicaSecrets {
  std::string admin_token;                    // kApplianceAdmin: an admin API token of B
  std::filesystem::path s3_credentials_file;  // overrides the recorded path when set
  std::filesystem::path ca_file;              // overrides the recorded CA file when set
};

inline constexpr const char* kReplicaSourceFileName = "replica-source.json";
inline constexpr std::uint64_t kMaxReplicaSourceBytes = 64 * 1024;

Status SaveReplicaSource(FileSystem& fs, const std::filesystem::path& store_dir,
                         const ReplicaSource& source);
// nullopt when the store was not attached to a replica (no file).
Result<std::optional<ReplicaSource>> LoadReplicaSource(FileSystem& fs,
                                                       const std::filesystem::path& store_dir);

// Makes one ReplicaTarget per call (one per thread). The secrets are checked
// when a target is made, so a store whose chunks are all local never needs
// them.
using ReplicaTargetFactory = std::function<Result<std::unique_ptr<ReplicaTarget>>()>;
ReplicaTargetFactory MakeReplicaTargetFactory(const ReplicaSource& source,
                                              const ReplicaSecrets& secrets,
                                              FileSystem& fs = DefaultFileSystem());

}  // namespace cairn
