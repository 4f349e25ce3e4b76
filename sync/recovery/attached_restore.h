// RestoreFromStore: `cairnctl restore` on a local store, whether or not it
// was attached to a replica. A store with <store>/replica-source.json
// (written by `replica attach`) may not hold every chunk yet: those it lacks
// are fetched from the recorded replica, proven and kept (so a second
// restore of the same snapshot needs no network), and made durable before
// this returns. A store without it restores exactly as RunRestore.
//
// Thread-safety: as RunRestore (the caller's thread plus the prefetchers).
#pragma once

#include "core/engine/restore.h"
#include "sync/recovery/replica_chunk_fetcher.h"
#include "sync/recovery/replica_source.h"

namespace cairn {

struct AttachedRestoreStats {
  bool attached = false;  // the store has a recorded replica source
  std::string source;     // its description, when attached
  ReplicaFetchStats fetched;
};

// `secrets` are needed only when a chunk must be fetched from a source that
// needs them (an appliance's admin token; an S3 credentials file moved since
// attach). `stats` may be null.
Result<RestoreResult> RestoreFromStore(Store& store, const RestoreRequest& request, EntrySink& sink,
                                       const ReplicaSecrets& secrets,
                                       AttachedRestoreStats* stats = nullptr);

}  // namespace cairn
