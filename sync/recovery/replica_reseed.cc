#include "sync/recovery/replica_reseed.h"

namespace cairn {

Result<std::pair<std::unique_ptr<Store>, ReseedReport>> ReseedStore(FileSystem& fs,
                                                                    const AttachRequest& request,
                                                                    const PullOptions& options) {
  ReseedReport report;
  CAIRN_ASSIGN_OR_RETURN(AttachedStore attached, AttachReplica(fs, request));
  report.attach = std::move(attached.report);
  report.pull = PullChunks(*attached.store, request.open_target, attached.to_pull, options);
  if (!report.pull.stopped.ok()) {
    // The store stays attached: restores still fetch what is missing, and
    // the same command resumes the pull.
    return std::make_pair(std::move(attached.store), std::move(report));
  }
  attached.store.reset();

  // Every chunk is local now (or reported): index the store from its own
  // files, with their real sizes.
  // A store this call created has only the catalog attach built: nothing
  // to keep aside.
  CAIRN_ASSIGN_OR_RETURN(auto rebuilt,
                         ReopenAndRebuild(fs, request.store_dir, request.key_file, {},
                                          /*keep_old_catalog=*/!report.attach.created_store));
  report.rebuild = std::move(rebuilt.second);
  // Missing from the replica at attach (attributed then), or damaged or
  // gone when pulled (attributed now).
  report.unrecovered = std::move(report.attach.missing_chunks);
  std::vector<DamagedChunk> failed;
  for (const auto& [id, problem] : report.pull.failed)
    failed.push_back(DamagedChunk{id, problem, {}});
  CAIRN_ASSIGN_OR_RETURN(auto snapshots, rebuilt.first->ListManifestFiles());
  AttributeDamagedChunks(*rebuilt.first, snapshots, failed);
  for (DamagedChunk& d : failed) report.unrecovered.push_back(std::move(d));
  return std::make_pair(std::move(rebuilt.first), std::move(report));
}

}  // namespace cairn
