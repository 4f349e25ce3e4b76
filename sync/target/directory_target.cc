#include "sync/target/directory_target.h"

#include <algorithm>

#include "sync/target/replica_layout.h"

namespace cairn {

Result<ProbeResult> DirectoryTarget::Probe() {
  CAIRN_ASSIGN_OR_RETURN(bool exists, fs_.Exists(dir_));
  if (!exists) {
    // A mount that is not there looks like a missing directory: the target
    // is down, not misconfigured, until it comes back.
    return Status::Unavailable("replica directory " + dir_.string() +
                               " does not exist (is its disk mounted?)");
  }
  ProbeResult r;
  r.detail = "directory " + dir_.string() + " exists";
  return r;
}

Status DirectoryTarget::Put(std::string_view key, ByteSpan data, const PutOptions&) {
  CAIRN_RETURN_IF_ERROR(ValidateReplicaKey(key));
  const std::filesystem::path path = dir_ / std::string(key);
  CAIRN_ASSIGN_OR_RETURN(bool parent_exists, fs_.Exists(path.parent_path()));
  if (!parent_exists) CAIRN_RETURN_IF_ERROR(fs_.CreateDirectories(path.parent_path()));
  return WriteFileAtomically(fs_, path, data);
}

Result<Bytes> DirectoryTarget::Get(std::string_view key, std::uint64_t max_bytes) {
  CAIRN_RETURN_IF_ERROR(ValidateReplicaKey(key));
  return ReadWholeFile(fs_, dir_ / std::string(key), max_bytes);
}

Status DirectoryTarget::List(std::string_view prefix,
                             const std::function<Status(std::string_view, std::uint64_t)>& on_key) {
  // Walk the three shapes the layout allows; nothing else in the directory
  // is a replica object (temporaries, lost+found, ...).
  std::vector<std::string> keys;
  auto consider = [&](std::string key) {
    if (key.starts_with(prefix) && ValidateReplicaKey(key).ok()) keys.push_back(std::move(key));
  };
  CAIRN_ASSIGN_OR_RETURN(bool has_config, fs_.Exists(dir_ / kReplicaConfigKey));
  if (has_config) consider(std::string(kReplicaConfigKey));
  for (std::string_view top : {kReplicaChunksPrefix, kReplicaSnapshotsPrefix}) {
    const std::filesystem::path top_dir = dir_ / std::string(top.substr(0, top.size() - 1));
    CAIRN_ASSIGN_OR_RETURN(bool exists, fs_.Exists(top_dir));
    if (!exists) continue;
    CAIRN_ASSIGN_OR_RETURN(auto subdirs, fs_.ListDirectory(top_dir));
    for (const std::string& sub : subdirs) {
      auto entries = fs_.ListDirectory(top_dir / sub);
      if (!entries.ok()) continue;  // a stray file, not a directory
      for (const std::string& name : *entries) consider(std::string(top) + sub + "/" + name);
    }
  }
  std::sort(keys.begin(), keys.end());
  for (const std::string& key : keys) {
    CAIRN_ASSIGN_OR_RETURN(std::uint64_t size, fs_.FileSize(dir_ / key));
    CAIRN_RETURN_IF_ERROR(on_key(key, size));
  }
  return Status::Ok();
}

Status DirectoryTarget::Delete(std::string_view key) {
  CAIRN_RETURN_IF_ERROR(ValidateReplicaKey(key));
  Status s = fs_.RemoveFile(dir_ / std::string(key));
  if (s.IsNotFound()) return Status::Ok();
  return s;
}

}  // namespace cairn
