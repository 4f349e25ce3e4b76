#include "appliance/daemon/replica_store.h"

#include <algorithm>

#include "appliance/registry/registry.h"
#include "core/store/store.h"
#include "sync/target/replica_layout.h"

namespace cairn {
namespace {

Status CheckPeerId(std::string_view peer_id) {
  if (IsValidPeerId(peer_id)) return Status::Ok();
  return Status::InvalidArgument("not a peer id: '" + std::string(peer_id.substr(0, 80)) +
                                 "' (expected peer-<16 hex digits>)");
}

// Releases a key reserved in ReplicaStore::writing_ on every return path.
class Reservation {
 public:
  Reservation(std::mutex& mu, std::set<std::string>& set, std::string name)
      : mu_(mu), set_(set), name_(std::move(name)) {}
  ~Reservation() {
    if (!held_) return;
    std::lock_guard<std::mutex> lock(mu_);
    set_.erase(name_);
  }
  Reservation(const Reservation&) = delete;
  Reservation& operator=(const Reservation&) = delete;
  bool TryTake() {
    std::lock_guard<std::mutex> lock(mu_);
    held_ = set_.insert(name_).second;
    return held_;
  }

 private:
  std::mutex& mu_;
  std::set<std::string>& set_;
  std::string name_;
  bool held_ = false;
};

}  // namespace

std::uint64_t ReplicaStore::MaxObjectBytes(std::string_view key, std::uint64_t max_manifest_bytes) {
  if (key == kReplicaConfigKey) return kMaxConfigBytes;
  if (key.starts_with(kReplicaChunksPrefix)) return Store::kMaxSealedChunkBytes;
  return max_manifest_bytes;
}

Result<std::filesystem::path> ReplicaStore::PeerDir(std::string_view peer_id) const {
  CAIRN_RETURN_IF_ERROR(CheckPeerId(peer_id));
  return root_ / std::string(peer_id);
}

Status ReplicaStore::MakeDirectoriesDurably(const std::filesystem::path& rel) {
  CAIRN_ASSIGN_OR_RETURN(bool root_exists, fs_.Exists(root_));
  if (!root_exists) {
    CAIRN_RETURN_IF_ERROR(fs_.CreateDirectories(root_));
    CAIRN_RETURN_IF_ERROR(fs_.SyncDirectory(root_.parent_path()));
  }
  std::filesystem::path dir = root_;
  for (const auto& part : rel) {
    const std::filesystem::path parent = dir;
    dir /= part;
    CAIRN_ASSIGN_OR_RETURN(bool exists, fs_.Exists(dir));
    if (exists) continue;
    CAIRN_RETURN_IF_ERROR(fs_.CreateDirectories(dir));
    CAIRN_RETURN_IF_ERROR(fs_.SyncDirectory(parent));
  }
  return Status::Ok();
}

Result<ReplicaStore::PutOutcome> ReplicaStore::Put(std::string_view peer_id, std::string_view key,
                                                   ByteSpan data,
                                                   std::uint64_t max_manifest_bytes) {
  CAIRN_RETURN_IF_ERROR(CheckPeerId(peer_id));
  CAIRN_RETURN_IF_ERROR(ValidateReplicaKey(key));
  const std::uint64_t limit = MaxObjectBytes(key, max_manifest_bytes);
  if (data.size() > limit) {
    return Status::InvalidArgument("replica object " + std::string(key) + " is " +
                                   std::to_string(data.size()) + " bytes, more than the " +
                                   std::to_string(limit) + " allowed for it");
  }
  Reservation reservation(mu_, writing_, std::string(peer_id) + "/" + std::string(key));
  if (!reservation.TryTake()) {
    return Status::Unavailable("replica object " + std::string(key) +
                               " is being written by another request; retry");
  }
  const std::filesystem::path rel = std::filesystem::path(std::string(peer_id)) / std::string(key);
  CAIRN_RETURN_IF_ERROR(MakeDirectoriesDurably(rel.parent_path()));
  return PutReserved(root_ / rel, key, data);
}

Result<ReplicaStore::PutOutcome> ReplicaStore::PutReserved(const std::filesystem::path& path,
                                                           std::string_view key, ByteSpan data) {
  PutOutcome out;
  CAIRN_ASSIGN_OR_RETURN(bool exists, fs_.Exists(path));
  const bool replaceable = key == kReplicaConfigKey;
  std::uint64_t old_size = 0;
  if (exists && !replaceable) {
    if (key.starts_with(kReplicaChunksPrefix)) return out;  // kept, whatever was sent
    CAIRN_ASSIGN_OR_RETURN(std::uint64_t held_size, fs_.FileSize(path));
    bool identical = held_size == data.size();
    if (identical) {
      CAIRN_ASSIGN_OR_RETURN(Bytes held, ReadWholeFile(fs_, path, data.size()));
      identical = std::equal(held.begin(), held.end(), data.begin(), data.end());
    }
    if (!identical) {
      return Status::AlreadyExists(
          "replica object " + std::string(key) +
          " already exists with other content; replicas are append-only, so it is kept as it "
          "is (a snapshot's manifest never changes: check the sending appliance's store)");
    }
    return out;
  }
  if (exists) {
    CAIRN_ASSIGN_OR_RETURN(old_size, fs_.FileSize(path));
  }
  CAIRN_RETURN_IF_ERROR(WriteFileAtomically(fs_, path, data));
  out.written = true;
  out.objects_delta = exists ? 0 : 1;
  out.bytes_delta = static_cast<std::int64_t>(data.size()) - static_cast<std::int64_t>(old_size);
  return out;
}

Result<Bytes> ReplicaStore::Get(std::string_view peer_id, std::string_view key,
                                std::uint64_t max_bytes) {
  CAIRN_RETURN_IF_ERROR(CheckPeerId(peer_id));
  CAIRN_RETURN_IF_ERROR(ValidateReplicaKey(key));
  auto data = ReadWholeFile(fs_, root_ / std::string(peer_id) / std::string(key), max_bytes);
  if (!data.ok() && data.error().IsNotFound()) {
    // Without the local path: the peer needs the key, not our layout.
    return Status::NotFound("replica object " + std::string(key) + " is not here");
  }
  return data;
}

Result<ReplicaStore::Page> ReplicaStore::List(std::string_view peer_id, std::string_view prefix,
                                              std::string_view after, std::size_t limit) {
  CAIRN_RETURN_IF_ERROR(CheckPeerId(peer_id));
  if (limit == 0 || limit > kMaxListLimit) {
    return Status::InvalidArgument("list limit " + std::to_string(limit) + " is out of range 1.." +
                                   std::to_string(kMaxListLimit));
  }
  const std::filesystem::path dir = root_ / std::string(peer_id);
  Page page;
  CAIRN_ASSIGN_OR_RETURN(bool exists, fs_.Exists(dir));
  if (!exists) return page;

  // Keys are gathered in ascending order, one more than asked for to know
  // whether the page is the last. Groups in key order: chunks/ < config <
  // snapshots/.
  std::vector<std::string> keys;
  auto full = [&] { return keys.size() > limit; };
  auto consider = [&](std::string key) {
    if (key.starts_with(prefix) && key > after && ValidateReplicaKey(key).ok()) {
      keys.push_back(std::move(key));
    }
  };
  // <top>/<sub>/<name>: a directory's keys all start with "<top><sub>/", so
  // subdirectories are visited in the order of that string (not of their
  // names: "a-b/" sorts before "a/"), and one is skipped whole when it can
  // hold no key after `after` or under `prefix`.
  auto walk = [&](std::string_view top) -> Status {
    const std::filesystem::path top_dir = dir / std::string(top.substr(0, top.size() - 1));
    CAIRN_ASSIGN_OR_RETURN(bool top_exists, fs_.Exists(top_dir));
    if (!top_exists) return Status::Ok();
    CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> subs, fs_.ListDirectory(top_dir));
    for (std::string& sub : subs) sub = std::string(top) + sub + "/";
    std::sort(subs.begin(), subs.end());
    for (const std::string& p : subs) {
      if (full()) break;
      if (!p.starts_with(prefix) && !prefix.starts_with(p)) continue;
      if (after > p && !after.starts_with(p)) continue;
      auto names = fs_.ListDirectory(top_dir / p.substr(top.size(), p.size() - top.size() - 1));
      if (!names.ok()) continue;  // a stray file, not a directory
      for (const std::string& name : *names) {
        if (full()) break;
        consider(p + name);
      }
    }
    return Status::Ok();
  };
  CAIRN_RETURN_IF_ERROR(walk(kReplicaChunksPrefix));
  if (!full()) {
    CAIRN_ASSIGN_OR_RETURN(bool has_config, fs_.Exists(dir / std::string(kReplicaConfigKey)));
    if (has_config) consider(std::string(kReplicaConfigKey));
  }
  if (!full()) CAIRN_RETURN_IF_ERROR(walk(kReplicaSnapshotsPrefix));

  page.truncated = full();
  if (page.truncated) keys.resize(limit);
  for (std::string& key : keys) {
    CAIRN_ASSIGN_OR_RETURN(std::uint64_t size, fs_.FileSize(dir / key));
    page.keys.push_back({std::move(key), size});
  }
  return page;
}

}  // namespace cairn
