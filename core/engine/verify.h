// Verify: reads back every chunk of every snapshot and proves it (envelope
// authenticates, plaintext hashes to its id), reads every manifest, and for
// each damaged chunk names the snapshots and files that depend on it.
// Chunks are checked in parallel; memory holds the set of distinct chunk ids
// plus one manifest at a time.
#pragma once

#include <atomic>
#include <string>
#include <utility>
#include <vector>

#include "core/engine/progress.h"
#include "core/store/store.h"

namespace cairn {

struct DamagedChunk {
  ChunkId id;
  std::string problem;  // what was wrong with it
  struct Use {
    std::string snapshot_id, name;
    std::vector<std::string> files;  // at most kMaxFilesListed
    std::uint64_t more_files = 0;    // files beyond those listed
  };
  std::vector<Use> used_by;
};

struct VerifyReport {
  static constexpr std::size_t kMaxFilesListed = 20;
  std::uint64_t snapshots = 0;
  std::uint64_t chunks_checked = 0;
  std::uint64_t bytes_checked = 0;  // plaintext bytes proven
  std::vector<DamagedChunk> damaged_chunks;
  std::vector<std::string> damaged_manifests;  // "name/id: problem"
  bool sound() const { return damaged_chunks.empty() && damaged_manifests.empty(); }
};

Result<VerifyReport> RunVerify(Store& store, int threads = 0, JobProgress* progress = nullptr);

// The proof of each chunk in `ids` (ChunkReader), over `threads` readers
// (0: one per core); shared by RunVerify and the scrub (core/scrub).
// Progress: chunks_done, bytes_done, problems. `cancel`, when set, stops the
// readers between chunks.
struct ChunkProofs {
  std::vector<ChunkId> good;
  std::vector<std::pair<ChunkId, std::string>> bad;  // with the problem, in id order
  std::uint64_t bytes = 0;                           // plaintext bytes of the good ones
  bool cancelled = false;
};
ChunkProofs ProveChunks(Store& store, const std::vector<ChunkId>& ids, int threads,
                        JobProgress* progress, const std::atomic<bool>* cancel = nullptr);

// Fills the used_by of each chunk in `chunks`: which of `snapshots`
// ((name, id) pairs) use it, and in which files (at most kMaxFilesListed
// each). A manifest that cannot be read is skipped: whoever listed it
// reports that damage. Also used by replica recovery for chunks a replica
// lacks.
void AttributeDamagedChunks(Store& store,
                            const std::vector<std::pair<std::string, std::string>>& snapshots,
                            std::vector<DamagedChunk>& chunks);

}  // namespace cairn
