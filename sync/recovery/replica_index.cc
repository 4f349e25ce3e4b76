#include "sync/recovery/replica_index.h"

#include "core/crypto/sealed_object.h"
#include "sync/target/replica_layout.h"

namespace cairn {
namespace {

// A manifest's plaintext bound when it is opened (the store's own bound).
constexpr std::uint64_t kMaxManifestPlaintext = 4ull << 30;

void Count(JobProgress* progress, std::uint64_t bytes) {
  if (!progress) return;
  progress->Add(progress->chunks_done, 1);
  progress->Add(progress->bytes_done, bytes);
}

}  // namespace

Result<ReplicaIndex> OpenReplica(ReplicaTarget& target, const MasterKey& master,
                                 ByteSpan kit_store_id, JobProgress* progress) {
  const std::string where = target.Describe();
  ReplicaIndex index;
  auto config_bytes = target.Get(kReplicaConfigKey, StoreConfig::kMaxConfigBytes);
  if (!config_bytes.ok() && config_bytes.error().IsNotFound()) {
    return Status::NotFound("no replica at " + where +
                            ": it holds no 'config' object (check the location, bucket and "
                            "prefix; replication writes the config first)");
  }
  if (!config_bytes.ok()) return config_bytes.error().WithContext("read the replica's config");
  Count(progress, config_bytes->size());
  index.config_bytes = std::move(*config_bytes);
  auto config = StoreConfig::Parse(index.config_bytes);
  if (!config.ok()) return config.error().WithContext("the replica's config at " + where);
  index.config = std::move(*config);

  const Bytes kit_id(kit_store_id.begin(), kit_store_id.end());
  if (index.config.store_id != kit_id) {
    return Status::PermissionDenied("this recovery kit belongs to store " + ToHex(kit_id) +
                                    ", the replica at " + where + " holds store " +
                                    index.config.StoreIdHex() +
                                    ": use the recovery kit printed for that store");
  }
  index.keys = DeriveKeys(master, index.config.store_id);
  if (!index.config.CheckMac(index.keys).ok()) {
    return Status::PermissionDenied("the recovery kit does not open this replica (" + where +
                                    "): its master key does not authenticate the replica's "
                                    "config. Check the kit (a retyped line?), or the config was "
                                    "modified");
  }

  std::uint64_t keys_seen = 0;
  // A key of another shape is counted and skipped, never followed.
  auto ignore = [&](std::string_view key) {
    if (index.ignored_keys.size() < ReplicaIndex::kMaxIgnoredListed) {
      index.ignored_keys.emplace_back(key);
    }
    ++index.ignored_key_count;
    return Status::Ok();
  };
  auto bounded = [&]() -> Status {
    if (++keys_seen > ReplicaIndex::kMaxKeys) {
      return Status::InvalidArgument("the replica at " + where + " lists more than " +
                                     std::to_string(ReplicaIndex::kMaxKeys) +
                                     " objects: refusing to hold that listing in memory");
    }
    return Status::Ok();
  };
  auto on_manifest = [&](std::string_view key, std::uint64_t) -> Status {
    CAIRN_RETURN_IF_ERROR(bounded());
    auto parsed = ParseReplicaManifestKey(key);
    if (!parsed) return ignore(key);
    index.manifests.push_back(std::move(*parsed));
    return Status::Ok();
  };
  auto on_chunk = [&](std::string_view key, std::uint64_t size) -> Status {
    CAIRN_RETURN_IF_ERROR(bounded());
    auto id = ParseReplicaChunkKey(key);
    if (!id) return ignore(key);
    index.chunks.emplace(*id, size);
    return Status::Ok();
  };
  Status listed = target.List(kReplicaSnapshotsPrefix, on_manifest);
  if (!listed.ok()) return listed.WithContext("list the replica's snapshots");
  listed = target.List(kReplicaChunksPrefix, on_chunk);
  if (!listed.ok()) return listed.WithContext("list the replica's chunks");
  return index;
}

Result<FetchedManifest> FetchManifest(ReplicaTarget& target, const DerivedKeys& keys,
                                      const std::string& name, const std::string& id,
                                      JobProgress* progress) {
  const std::string what = "snapshot " + name + "/" + id + " on the replica";
  FetchedManifest out;
  auto sealed = target.Get(ReplicaManifestKey(name, id), Manifest::kMaxSealedBytes);
  if (!sealed.ok()) return sealed.error().WithContext(what);
  Count(progress, sealed->size());
  out.sealed = std::move(*sealed);
  ObjectOpener opener(keys.data);
  auto plain = opener.Open(ObjectType::kManifest, AsBytes(id), out.sealed, kMaxManifestPlaintext);
  if (!plain.ok()) return plain.error().WithContext(what);
  auto manifest = Manifest::Parse(*plain);
  if (!manifest.ok()) return manifest.error().WithContext(what);
  if (manifest->name != name || manifest->snapshot_id != id) {
    return Status::Corruption(what + ": the manifest belongs to another snapshot (" +
                              manifest->name + "/" + manifest->snapshot_id + ")");
  }
  out.manifest = std::move(*manifest);
  return out;
}

}  // namespace cairn
