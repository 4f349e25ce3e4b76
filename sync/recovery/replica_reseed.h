// ReseedStore: `cairnctl replica reseed` -- a complete local store from a
// replica, in one call: attach (config, manifests, key file, source),
// pull every chunk the snapshots use (PullChunks), then rebuild the catalog
// from the local files alone, so that `cairnctl verify` passes and the store
// is a Cairn store like any other (an appliance can adopt it:
// `cairn-appliance init --adopt-store`).
//
// Resumable: run again after a cut, it fetches no manifest and no chunk it
// already holds.
//
// Thread-safety: one call at a time per store directory.
#pragma once

#include "sync/recovery/chunk_puller.h"
#include "sync/recovery/replica_attach.h"

namespace cairn {

struct ReseedReport {
  AttachReport attach;
  PullReport pull;
  RebuildReport rebuild;  // the final one, from local files only
  // Chunks the snapshots use that could not be brought in (missing or
  // damaged on the replica), with the snapshots and files they hurt.
  std::vector<DamagedChunk> unrecovered;
  bool complete() const {
    return pull.stopped.ok() && attach.unreadable_manifests.empty() && unrecovered.empty() &&
           rebuild.unreadable_manifests.empty() && rebuild.missing_chunks.empty();
  }
};

// The store is returned too, open, its catalog complete (when the pull ran
// through).
Result<std::pair<std::unique_ptr<Store>, ReseedReport>> ReseedStore(FileSystem& fs,
                                                                    const AttachRequest& request,
                                                                    const PullOptions& options);

}  // namespace cairn
