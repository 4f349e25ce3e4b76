#include "sync/recovery/attached_restore.h"

namespace cairn {

Result<RestoreResult> RestoreFromStore(Store& store, const RestoreRequest& request, EntrySink& sink,
                                       const ReplicaSecrets& secrets, AttachedRestoreStats* stats) {
  CAIRN_ASSIGN_OR_RETURN(std::optional<ReplicaSource> source,
                         LoadReplicaSource(store.fs(), store.dir()));
  if (!source) return RunRestore(store, request, sink);
  AttachedRestoreStats local_stats;
  AttachedRestoreStats& s = stats ? *stats : local_stats;
  s.attached = true;
  s.source = source->Describe();

  CAIRN_ASSIGN_OR_RETURN(SnapshotRecord record,
                         ResolveSnapshot(store.catalog(), request.snapshot, request.name));
  CAIRN_ASSIGN_OR_RETURN(Manifest manifest, store.ReadManifest(record.name, record.id));
  ReplicaTargetFactory open_target = MakeReplicaTargetFactory(*source, secrets, store.fs());
  std::vector<std::unique_ptr<ChunkFetcher>> fetchers;
  for (int i = 0; i < RestoreThreads(request); ++i) {
    fetchers.push_back(std::make_unique<ReplicaChunkFetcher>(store, open_target,
                                                             "the replica " + s.source, s.fetched));
  }
  auto result = RestoreManifest(manifest, std::move(fetchers), request, sink);
  // What was fetched is kept even when the restore failed part way: the
  // next attempt starts from there.
  Status committed = store.CommitChunks();
  if (!result.ok()) return result;
  if (!committed.ok()) {
    result->errors.push_back("keeping the chunks fetched from the replica: " +
                             committed.ToString());
  }
  return result;
}

}  // namespace cairn
