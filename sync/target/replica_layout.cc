#include "sync/target/replica_layout.h"

#include "core/store/manifest.h"

namespace cairn {

std::string ReplicaChunkKey(const ChunkId& id) {
  const std::string hex = id.Hex();
  return std::string(kReplicaChunksPrefix) + hex.substr(0, 2) + "/" + hex;
}

std::string ReplicaManifestKey(std::string_view name, std::string_view snapshot_id) {
  return std::string(kReplicaSnapshotsPrefix) + std::string(name) + "/" + std::string(snapshot_id);
}

std::optional<ChunkId> ParseReplicaChunkKey(std::string_view key) {
  if (!key.starts_with(kReplicaChunksPrefix)) return std::nullopt;
  key.remove_prefix(kReplicaChunksPrefix.size());
  // <ab>/<64 lowercase hex>, ab the first two digits.
  if (key.size() != 3 + 2 * ChunkId::kSize || key[2] != '/') return std::nullopt;
  const std::string_view hex = key.substr(3);
  if (hex.substr(0, 2) != key.substr(0, 2)) return std::nullopt;
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  return ChunkId::FromHex(hex);
}

std::optional<std::pair<std::string, std::string>> ParseReplicaManifestKey(std::string_view key) {
  if (!key.starts_with(kReplicaSnapshotsPrefix)) return std::nullopt;
  key.remove_prefix(kReplicaSnapshotsPrefix.size());
  const std::size_t slash = key.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string_view name = key.substr(0, slash);
  const std::string_view id = key.substr(slash + 1);
  if (!ValidateSnapshotName(name).ok() || !ValidateSnapshotId(id).ok()) return std::nullopt;
  return std::make_pair(std::string(name), std::string(id));
}

Status ValidateReplicaKey(std::string_view key) {
  if (key == kReplicaConfigKey || ParseReplicaChunkKey(key) || ParseReplicaManifestKey(key)) {
    return Status::Ok();
  }
  std::string shown(key.substr(0, 200));
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return Status::InvalidArgument("replica key '" + shown +
                                 "' is not one of config, chunks/<ab>/<id>, "
                                 "snapshots/<name>/<id>");
}

}  // namespace cairn
