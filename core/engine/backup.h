// Backup: turns an EntrySource into a committed snapshot.
//
// Data path (one walker thread + ChunkWriterPool workers):
//   entries -> files cache (unchanged files reuse their previous slices) ->
//   small files packed together, large files cut by the content-defined
//   chunker -> pool: id, dedup, compress, encrypt, write ->
//   sync chunk directories -> manifest -> catalog row (one transaction).
// A failure anywhere before the manifest leaves no snapshot; chunks already
// written stay as unreferenced files (reused by the next backup, swept by GC).
// Thread-safety: one Backup at a time per Store object.
#pragma once

#include <string>
#include <vector>

#include "core/base/clock.h"
#include "core/engine/backup_target.h"
#include "core/engine/entry_source.h"
#include "core/engine/progress.h"
#include "core/store/manifest.h"
#include "core/store/store.h"

namespace cairn {

struct BackupRequest {
  std::string name;
  std::vector<std::string> tags;
  int threads = 0;                 // 0: one per core
  bool use_files_cache = true;
  // Chunks known to be gone from the target although the files cache names
  // them (the appliance listed them missing at the last commit): files whose
  // cached chunk lists name one are read again instead of reused.
  std::vector<ChunkId> absent_chunks;
  JobProgress* progress = nullptr;  // optional live figures
  // Test hook: fail (IoError) just before the manifest is written.
  bool TEST_fail_before_manifest = false;
};

struct BackupResult {
  std::string snapshot_id;
  std::string parent_id;
  BackupFigures figures;
  std::uint64_t manifest_bytes = 0;
  std::vector<std::string> warnings;
};

Result<BackupResult> RunBackup(BackupTarget& target, EntrySource& source,
                               const BackupRequest& request, Clock& clock = DefaultClock());
// Into a local store (LocalBackupTarget).
Result<BackupResult> RunBackup(Store& store, EntrySource& source, const BackupRequest& request,
                               Clock& clock = DefaultClock());

// "0123456789abcdef": 8 random bytes as hex.
Result<std::string> NewSnapshotId();

}  // namespace cairn
