// AttachReplica: makes a local directory a Cairn store from a replica
// (`cairnctl replica attach`). With the recovery kit it opens the replica
// (ReplicaIndex), then, in the directory:
//
//   config                the replica's own (store id, chunker, key slots),
//                         plus a slot for a new key file (--key-file)
//   snapshots/<name>/<id> every manifest, fetched and authenticated
//   catalog.db            rebuilt from the manifests: snapshot rows, and
//                         chunk rows sized from the replica's listing (stored
//                         size) and the manifests (plaintext size), though
//                         the chunk files are not local yet
//   replica-source.json   where the replica is (ReplicaSource, no secret)
//
// Chunks are not copied: restores fetch the ones they need
// (RestoreFromStore), `replica reseed` pulls them all (ReseedStore).
//
// Attaching again into the same directory is safe and cheap: it checks the
// directory holds the replica's store, keeps what is local (manifests are
// not fetched twice), fetches manifests that are new on the replica and
// rebuilds the catalog (the old one kept aside as catalog.db.old-*).
//
// Thread-safety: one call at a time per store directory.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/engine/catalog_rebuild.h"
#include "core/engine/progress.h"
#include "core/engine/verify.h"
#include "core/store/store.h"
#include "sync/recovery/replica_source.h"

namespace cairn {

struct AttachRequest {
  std::filesystem::path store_dir;
  // Created when absent (a new key slot wrapping the master key, so later
  // commands open the store with --key-file); when present it must already
  // open this store (a second attach, a resumed reseed).
  std::filesystem::path key_file;
  MasterKey master;                  // from the recovery kit
  Bytes kit_store_id;                // the store the kit names
  ReplicaSource source;              // recorded in the store
  ReplicaTargetFactory open_target;  // made from `source` and the secrets
  JobProgress* progress = nullptr;   // objects and bytes fetched (chunks_done, bytes_done)
};

struct AttachReport {
  std::string store_id;
  std::string source;  // ReplicaSource::Describe()
  bool created_store = false;
  bool created_key_file = false;
  std::uint64_t snapshots = 0;  // in the rebuilt catalog
  std::uint64_t manifests_fetched = 0;
  std::uint64_t manifests_local = 0;    // already in the store, not fetched again
  std::uint64_t replica_manifests = 0;  // snapshot manifests the replica lists
  std::uint64_t replica_chunks = 0;     // chunk objects the replica lists
  std::uint64_t replica_chunk_bytes = 0;
  std::uint64_t chunks_referenced = 0;  // distinct chunks the snapshots use
  std::uint64_t chunks_local = 0;       // of those, already in the store
  std::uint64_t objects_fetched = 0;    // config and manifests
  std::uint64_t bytes_fetched = 0;
  std::vector<std::string> ignored_keys;  // listed, not replica objects (the first few)
  std::uint64_t ignored_key_count = 0;
  std::vector<std::string> unreadable_manifests;  // "name/id: problem"
  // Chunks the snapshots use that are neither local nor on the replica,
  // with the snapshots and files they hurt.
  std::vector<DamagedChunk> missing_chunks;
  std::vector<std::string> warnings;  // from opening the store
  bool complete() const { return unreadable_manifests.empty() && missing_chunks.empty(); }
};

struct AttachedStore {
  std::unique_ptr<Store> store;
  AttachReport report;
  // The chunks the snapshots use that are on the replica and not local,
  // with their stored sizes: what a reseed pulls.
  std::vector<std::pair<ChunkId, std::uint64_t>> to_pull;
};

Result<AttachedStore> AttachReplica(FileSystem& fs, const AttachRequest& request);

// Opens the store at `dir` with `key_file` on a fresh catalog and rebuilds
// it -- with `options`, e.g. sizes of chunks still on the replica. The old
// catalog is kept aside (catalog.db.old-*, its registry carried over), or
// removed when keep_old_catalog is false (one this attach just created).
// What attach and reseed end with.
Result<std::pair<std::unique_ptr<Store>, RebuildReport>> ReopenAndRebuild(
    FileSystem& fs, const std::filesystem::path& dir, const std::filesystem::path& key_file,
    const RebuildOptions& options = {}, bool keep_old_catalog = true);

}  // namespace cairn
