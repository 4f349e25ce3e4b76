#include "core/retention/snapshot_deleter.h"

#include <algorithm>

#include "core/base/log.h"
#include "core/base/utc_time.h"

namespace cairn {
namespace {

std::vector<ChunkId> ChunksOf(const Manifest& m) {
  std::vector<ChunkId> ids;
  for (const TreeEntry& e : m.entries) {
    for (const ChunkSlice& s : e.content) ids.push_back(s.id);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

Status LockedError(const SnapshotRecord& s, std::int64_t lock_until) {
  return Status::PermissionDenied("snapshot " + s.id + " (" + s.name +
                                  ") is locked until " + FormatUtc(lock_until) +
                                  " (retention lock); nobody can delete it before then");
}

// Steps 3 and 4, from the .deleting file.
Status FinishFromDeletingFile(Store& store, const WithCatalogFn& with_catalog,
                              const SnapshotRecord& s) {
  const fs::path deleting = store.DeletingManifestPath(s.name, s.id);
  CAIRN_ASSIGN_OR_RETURN(Manifest m, store.ReadManifestAt(deleting, s.name, s.id));
  const std::vector<ChunkId> chunks = ChunksOf(m);
  CAIRN_RETURN_IF_ERROR(with_catalog(
      [&](Catalog& c) { return c.FinishSnapshotDeletion(s.id, chunks); }));
  CAIRN_RETURN_IF_ERROR(store.fs().RemoveFile(deleting));
  return store.fs().SyncDirectory(deleting.parent_path());
}

}  // namespace

Status DeleteSnapshot(Store& store, const WithCatalogFn& with_catalog,
                      const SnapshotRecord& snapshot, std::int64_t now_unix_ns) {
  const std::string what = "delete snapshot " + snapshot.id;
  // The manifest's lock is the one that counts; reading it also proves the
  // snapshot is whole before anything changes.
  CAIRN_ASSIGN_OR_RETURN(Manifest m, store.ReadManifest(snapshot.name, snapshot.id));
  if (m.lock_until_unix_ns > now_unix_ns) return LockedError(snapshot, m.lock_until_unix_ns);
  CAIRN_RETURN_IF_ERROR(with_catalog(
      [&](Catalog& c) { return c.BeginSnapshotDeletion(snapshot.id, now_unix_ns); }));
  const fs::path manifest = store.ManifestPath(snapshot.name, snapshot.id);
  CAIRN_RETURN_IF_ERROR(
      store.fs().Rename(manifest, store.DeletingManifestPath(snapshot.name, snapshot.id)));
  CAIRN_RETURN_IF_ERROR(store.fs().SyncDirectory(manifest.parent_path()));
  CAIRN_RETURN_IF_ERROR(FinishFromDeletingFile(store, with_catalog, snapshot).WithContext(what));
  Log(LogLevel::kInfo, "snapshot.deleted",
      {{"id", snapshot.id}, {"name", snapshot.name}, {"cluster", snapshot.cluster}});
  return Status::Ok();
}

Result<std::size_t> FinishInterruptedDeletions(Store& store, const WithCatalogFn& with_catalog) {
  std::vector<SnapshotRecord> pending;
  CAIRN_RETURN_IF_ERROR(with_catalog([&](Catalog& c) -> Status {
    CAIRN_ASSIGN_OR_RETURN(pending, c.SnapshotsBeingDeleted());
    return Status::Ok();
  }));
  for (const SnapshotRecord& s : pending) {
    const std::string what = "finish deleting snapshot " + s.id;
    const fs::path manifest = store.ManifestPath(s.name, s.id);
    CAIRN_ASSIGN_OR_RETURN(bool still_named, store.fs().Exists(manifest));
    if (still_named) {
      // Crashed between steps 1 and 2.
      CAIRN_RETURN_IF_ERROR(
          store.fs().Rename(manifest, store.DeletingManifestPath(s.name, s.id)).WithContext(what));
      CAIRN_RETURN_IF_ERROR(store.fs().SyncDirectory(manifest.parent_path()));
    }
    CAIRN_ASSIGN_OR_RETURN(bool deleting_file,
                           store.fs().Exists(store.DeletingManifestPath(s.name, s.id)));
    if (deleting_file) {
      CAIRN_RETURN_IF_ERROR(FinishFromDeletingFile(store, with_catalog, s).WithContext(what));
    } else {
      // Neither file: someone removed it by hand. Drop the row; the chunk
      // refcounts stay high (only delaying their collection) until a
      // catalog rebuild recounts them.
      CAIRN_RETURN_IF_ERROR(with_catalog(
          [&](Catalog& c) { return c.FinishSnapshotDeletion(s.id, {}); }));
      Log(LogLevel::kWarn, "snapshot.deletion_manifest_gone",
          {{"id", s.id}, {"hint", "run `cairnctl catalog rebuild` to recount chunk references"}});
    }
  }
  return pending.size();
}

Result<std::int64_t> ExtendSnapshotLock(Store& store, const WithCatalogFn& with_catalog,
                                        const SnapshotRecord& snapshot,
                                        std::int64_t until_unix_ns, std::int64_t now_unix_ns) {
  const std::string what = "lock snapshot " + snapshot.id;
  if (until_unix_ns <= now_unix_ns) {
    return Status::InvalidArgument(what + ": " + FormatUtc(until_unix_ns) +
                                   " is not in the future; give a later date");
  }
  CAIRN_ASSIGN_OR_RETURN(Manifest m, store.ReadManifest(snapshot.name, snapshot.id));
  if (until_unix_ns < m.lock_until_unix_ns) {
    return Status::PermissionDenied(what + ": it is locked until " +
                                    FormatUtc(m.lock_until_unix_ns) +
                                    "; a retention lock can be extended, never shortened");
  }
  std::optional<std::uint64_t> manifest_bytes;
  if (until_unix_ns > m.lock_until_unix_ns) {
    m.lock_until_unix_ns = until_unix_ns;
    auto written = store.WriteManifest(m, store.config().zstd_level);
    if (!written.ok()) return written.error().WithContext(what);
    manifest_bytes = *written;
  }
  CAIRN_RETURN_IF_ERROR(with_catalog([&](Catalog& c) {
    return c.RaiseSnapshotLock(snapshot.id, m.lock_until_unix_ns, manifest_bytes);
  }));
  Log(LogLevel::kInfo, "snapshot.locked",
      {{"id", snapshot.id}, {"until", FormatUtc(m.lock_until_unix_ns)}});
  return m.lock_until_unix_ns;
}

}  // namespace cairn
