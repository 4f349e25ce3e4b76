// ReplicaLayout: the object keys of a replica -- the store's own layout
// (core/store/store.h) as relative paths, so a replica opened with the
// recovery kit is a store:
//
//   config                      the store config (wrapped keys, chunker)
//   chunks/<ab>/<id-hex>        one sealed chunk, bytes as stored
//   snapshots/<name>/<id>       one sealed manifest, bytes as stored
//
// Keys that come back from a target (a listing) are untrusted: Parse*
// accepts exactly these shapes, so no key can name a path outside a replica
// directory.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/base/chunk_id.h"
#include "core/base/status.h"

namespace cairn {

inline constexpr std::string_view kReplicaConfigKey = "config";
inline constexpr std::string_view kReplicaChunksPrefix = "chunks/";
inline constexpr std::string_view kReplicaSnapshotsPrefix = "snapshots/";

std::string ReplicaChunkKey(const ChunkId& id);
std::string ReplicaManifestKey(std::string_view name, std::string_view snapshot_id);

// nullopt unless `key` is exactly chunks/<ab>/<64 hex> with ab its first byte.
std::optional<ChunkId> ParseReplicaChunkKey(std::string_view key);
// (name, id) when `key` is snapshots/<valid name>/<valid id>.
std::optional<std::pair<std::string, std::string>> ParseReplicaManifestKey(std::string_view key);
// Ok when `key` is one of the three shapes above; InvalidArgument naming it
// otherwise (what a server receiving keys checks first).
Status ValidateReplicaKey(std::string_view key);

}  // namespace cairn
