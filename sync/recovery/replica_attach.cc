#include "sync/recovery/replica_attach.h"

#include <cstdio>
#include <unordered_map>

#include "sync/recovery/replica_index.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

// The store's layout, as Store::Init makes it: 256 chunk directories and
// snapshots/. Idempotent, so a second attach completes an interrupted one.
Status MakeStoreLayout(FileSystem& fs, const fs::path& dir) {
  for (unsigned i = 0; i < 256; ++i) {
    char sub[3];
    std::snprintf(sub, sizeof sub, "%02x", i);
    CAIRN_RETURN_IF_ERROR(fs.CreateDirectories(dir / "chunks" / sub));
  }
  CAIRN_RETURN_IF_ERROR(fs.CreateDirectories(dir / "snapshots"));
  CAIRN_RETURN_IF_ERROR(fs.SyncDirectory(dir / "chunks"));
  return fs.SyncDirectory(dir);
}

// The directory holds the replica's store already (a second attach), or is
// absent or empty and gets the replica's config -- first, so that an attach
// cut short leaves a directory the next attach recognises.
Status PrepareStoreDir(FileSystem& fs, const fs::path& dir, const ReplicaIndex& index,
                       bool* created) {
  auto local = ReadWholeFile(fs, dir / "config", StoreConfig::kMaxConfigBytes);
  if (local.ok()) {
    auto config = StoreConfig::Parse(*local);
    if (!config.ok()) return config.error().WithContext(dir.string() + "/config");
    if (config->store_id != index.config.store_id) {
      return Status::AlreadyExists(dir.string() + " holds store " + config->StoreIdHex() +
                                   ", not the replica's store " + index.config.StoreIdHex() +
                                   ": attach into a new directory");
    }
    return MakeStoreLayout(fs, dir);
  }
  if (!local.error().IsNotFound()) return local.error();
  CAIRN_ASSIGN_OR_RETURN(bool exists, fs.Exists(dir));
  if (exists) {
    CAIRN_ASSIGN_OR_RETURN(auto names, fs.ListDirectory(dir));
    if (!names.empty()) {
      return Status::AlreadyExists(dir.string() +
                                   " is not empty and holds no store: attach into a new or empty "
                                   "directory (cairn never overwrites what it does not know)");
    }
  }
  CAIRN_RETURN_IF_ERROR(fs.CreateDirectories(dir));
  CAIRN_RETURN_IF_ERROR(WriteFileAtomically(fs, dir / "config", index.config_bytes));
  *created = true;
  return MakeStoreLayout(fs, dir);
}

// Opens with the key file when it exists (it must open this store), else
// with the kit's master key, adding a key slot for a new key file.
Result<std::unique_ptr<Store>> UnlockStore(FileSystem& fs, const AttachRequest& request,
                                           bool* created_key) {
  CAIRN_ASSIGN_OR_RETURN(bool key_exists, fs.Exists(request.key_file));
  if (key_exists) {
    return Store::Open(fs, request.store_dir, KeySource{request.key_file, std::nullopt});
  }
  CAIRN_ASSIGN_OR_RETURN(auto store,
                         Store::OpenWithMasterKey(fs, request.store_dir, request.master));
  if (request.key_file.has_parent_path()) {
    CAIRN_RETURN_IF_ERROR(fs.CreateDirectories(request.key_file.parent_path()));
  }
  CAIRN_RETURN_IF_ERROR(store->AddKeyFile(request.key_file));
  *created_key = true;
  return store;
}

// Fetches the manifests the store lacks. A manifest that does not
// authenticate is reported and not stored; a target that fails is an error
// (attach again once it is back: what arrived is kept).
Status FetchManifests(Store& store, ReplicaTarget& target, const ReplicaIndex& index,
                      JobProgress* progress, AttachReport& report) {
  for (const auto& [name, id] : index.manifests) {
    const fs::path path = store.ManifestPath(name, id);
    CAIRN_ASSIGN_OR_RETURN(bool local, store.fs().Exists(path));
    if (local) {
      ++report.manifests_local;
      continue;
    }
    auto fetched = FetchManifest(target, index.keys, name, id, progress);
    if (!fetched.ok()) {
      const Status& e = fetched.error();
      if (e.IsCorruption() || e.IsInvalidArgument() || e.IsNotFound()) {
        report.unreadable_manifests.push_back(name + "/" + id + ": " + e.message());
        continue;
      }
      return e;
    }
    ++report.manifests_fetched;
    ++report.objects_fetched;
    report.bytes_fetched += fetched->sealed.size();
    CAIRN_ASSIGN_OR_RETURN(bool dir_exists, store.fs().Exists(path.parent_path()));
    if (!dir_exists) {
      CAIRN_RETURN_IF_ERROR(store.fs().CreateDirectories(path.parent_path()));
      CAIRN_RETURN_IF_ERROR(store.fs().SyncDirectory(path.parent_path().parent_path()));
    }
    CAIRN_RETURN_IF_ERROR(WriteFileAtomically(store.fs(), path, fetched->sealed));
  }
  return Status::Ok();
}

// What the catalog and a reseed need to know of each chunk the snapshots use.
struct ChunkUse {
  std::uint64_t plain_end = 0;  // the furthest slice end: the plaintext size
  bool local = false;
  std::optional<std::uint64_t> replica_size;  // stored size, when the replica lists it
};
using ChunkUses = std::unordered_map<ChunkId, ChunkUse, ChunkIdHash>;

Result<ChunkUses> CollectChunkUses(
    Store& store, const ReplicaIndex& index,
    const std::vector<std::pair<std::string, std::string>>& snapshots) {
  ChunkUses uses;
  for (const auto& [name, id] : snapshots) {
    auto m = store.ReadManifest(name, id);
    if (!m.ok()) continue;  // the rebuild reports it
    for (const TreeEntry& e : m->entries) {
      for (const ChunkSlice& s : e.content) {
        ChunkUse& u = uses[s.id];
        u.plain_end = std::max<std::uint64_t>(u.plain_end, std::uint64_t{s.offset} + s.length);
      }
    }
  }
  for (auto& [id, u] : uses) {
    CAIRN_ASSIGN_OR_RETURN(u.local, store.fs().Exists(store.ChunkPath(id)));
    auto on_replica = index.chunks.find(id);
    if (on_replica != index.chunks.end()) u.replica_size = on_replica->second;
  }
  return uses;
}

}  // namespace

Result<std::pair<std::unique_ptr<Store>, RebuildReport>> ReopenAndRebuild(
    FileSystem& fs, const fs::path& dir, const fs::path& key_file, const RebuildOptions& options,
    bool keep_old_catalog) {
  if (!keep_old_catalog) {
    for (const char* name : {"catalog.db", "catalog.db-wal", "catalog.db-shm"}) {
      Status s = fs.RemoveFile(dir / name);
      if (!s.ok() && !s.IsNotFound()) return s;
    }
  }
  CAIRN_ASSIGN_OR_RETURN(auto store, Store::Open(fs, dir, KeySource{key_file, std::nullopt},
                                                 /*fresh_catalog=*/keep_old_catalog));
  CAIRN_RETURN_IF_ERROR(store->catalog().SetMeta("store_id", store->config().StoreIdHex()));
  CAIRN_ASSIGN_OR_RETURN(RebuildReport report, RebuildCatalog(*store, options));
  return std::make_pair(std::move(store), std::move(report));
}

Result<AttachedStore> AttachReplica(FileSystem& fs, const AttachRequest& request) {
  CAIRN_RETURN_IF_ERROR(request.source.Validate());
  AttachedStore out;
  AttachReport& report = out.report;
  report.source = request.source.Describe();
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<ReplicaTarget> target, request.open_target());
  CAIRN_ASSIGN_OR_RETURN(ReplicaIndex index, OpenReplica(*target, request.master,
                                                         request.kit_store_id, request.progress));
  report.store_id = index.config.StoreIdHex();
  report.objects_fetched = 1;
  report.bytes_fetched = index.config_bytes.size();
  report.ignored_keys = index.ignored_keys;
  report.ignored_key_count = index.ignored_key_count;
  report.replica_manifests = index.manifests.size();
  report.replica_chunks = index.chunks.size();
  for (const auto& [id, size] : index.chunks) report.replica_chunk_bytes += size;

  CAIRN_RETURN_IF_ERROR(PrepareStoreDir(fs, request.store_dir, index, &report.created_store));
  std::vector<std::pair<std::string, std::string>> snapshots;
  ChunkUses uses;
  {
    CAIRN_ASSIGN_OR_RETURN(auto store, UnlockStore(fs, request, &report.created_key_file));
    // Recorded early: a store whose attach was cut short still restores
    // what its manifests name.
    CAIRN_RETURN_IF_ERROR(SaveReplicaSource(fs, request.store_dir, request.source));
    CAIRN_RETURN_IF_ERROR(FetchManifests(*store, *target, index, request.progress, report));
    CAIRN_ASSIGN_OR_RETURN(snapshots, store->ListManifestFiles());
    CAIRN_ASSIGN_OR_RETURN(uses, CollectChunkUses(*store, index, snapshots));
  }

  // The catalog, from every manifest the store now holds. Chunks still on
  // the replica are indexed with the sizes known without fetching them.
  RebuildOptions options;
  options.absent_chunk = [&uses](const ChunkId& id) -> std::optional<NewChunk> {
    auto it = uses.find(id);
    if (it == uses.end() || !it->second.replica_size) return std::nullopt;
    return NewChunk{id, it->second.plain_end, *it->second.replica_size};
  };
  // A directory made by this attach has nothing in its catalog worth
  // keeping aside.
  CAIRN_ASSIGN_OR_RETURN(auto rebuilt,
                         ReopenAndRebuild(fs, request.store_dir, request.key_file, options,
                                          /*keep_old_catalog=*/!report.created_store));
  out.store = std::move(rebuilt.first);
  report.warnings = out.store->open_warnings();
  report.snapshots = rebuilt.second.snapshots;
  for (const std::string& m : rebuilt.second.unreadable_manifests) {
    report.unreadable_manifests.push_back(m);
  }

  report.chunks_referenced = uses.size();
  for (const auto& [id, u] : uses) {
    if (u.local) {
      ++report.chunks_local;
    } else if (u.replica_size) {
      out.to_pull.emplace_back(id, *u.replica_size);
    } else {
      report.missing_chunks.push_back(
          DamagedChunk{id, "missing from the store and from the replica at " + report.source, {}});
    }
  }
  // Pulled in id order: a resumed reseed walks the same way.
  std::sort(out.to_pull.begin(), out.to_pull.end());
  AttributeDamagedChunks(*out.store, snapshots, report.missing_chunks);
  return out;
}

}  // namespace cairn
