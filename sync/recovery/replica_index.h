// ReplicaIndex: a replica opened with the recovery kit -- its config,
// proven to belong to the kit's store, and what its listing holds: the
// snapshot manifests and the chunks (with their stored sizes), by
// ReplicaLayout key. Keys of any other shape are skipped and counted, never
// followed: a listing is untrusted.
//
// Also the one way a manifest is read from a replica: fetched whole
// (bounded) and authenticated under the store's data key before anything
// trusts or stores it.
//
// Thread-safety: OpenReplica and FetchManifest use the target given (one
// target per thread, as ReplicaTarget requires).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/base/chunk_id.h"
#include "core/crypto/keys.h"
#include "core/engine/progress.h"
#include "core/store/manifest.h"
#include "core/store/store_config.h"
#include "sync/target/replica_target.h"

namespace cairn {

struct ReplicaIndex {
  // Listed keys that are not replica objects, kept for the report.
  static constexpr std::size_t kMaxIgnoredListed = 20;
  // A listing is held in memory (about 80 bytes a chunk); beyond this many
  // keys the replica is refused rather than exhausting memory.
  static constexpr std::uint64_t kMaxKeys = 100'000'000;

  StoreConfig config;  // its MAC checked under the kit's master key
  Bytes config_bytes;  // exactly as the replica holds it
  DerivedKeys keys;    // derived from the kit's master key
  std::vector<std::pair<std::string, std::string>> manifests;      // (name, id), key order
  std::unordered_map<ChunkId, std::uint64_t, ChunkIdHash> chunks;  // id -> stored size
  std::vector<std::string> ignored_keys;                           // the first kMaxIgnoredListed
  std::uint64_t ignored_key_count = 0;
};

// Fetches `config` (bounded), checks that the kit names the replica's store
// and that the kit's master key authenticates the config, then lists
// snapshots/ and chunks/. Errors: PermissionDenied for a kit of another
// store or one that does not open the config; NotFound when the target
// holds no config; the target's own errors otherwise. `progress` (may be
// null) counts the objects and bytes fetched (chunks_done, bytes_done).
Result<ReplicaIndex> OpenReplica(ReplicaTarget& target, const MasterKey& master,
                                 ByteSpan kit_store_id, JobProgress* progress = nullptr);

struct FetchedManifest {
  Bytes sealed;  // as stored, to be written to the local store unchanged
  Manifest manifest;
};
// Fetches snapshots/<name>/<id> and proves it: it opens under `keys` with
// its id bound, and names itself `name`/`id`. Corruption otherwise.
Result<FetchedManifest> FetchManifest(ReplicaTarget& target, const DerivedKeys& keys,
                                      const std::string& name, const std::string& id,
                                      JobProgress* progress = nullptr);

}  // namespace cairn
