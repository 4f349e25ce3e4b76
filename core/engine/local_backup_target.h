// LocalBackupTarget: a backup into a Store on this machine (cairnctl local
// mode, and the appliance's own commits). Chunks are sealed and written by
// the worker threads; Commit follows Store's durability contract.
// Thread-safety: see BackupTarget.
#pragma once

#include "core/engine/backup_target.h"
#include "core/store/store.h"

namespace cairn {

// The DedupParams of a store (from its config and derived keys).
DedupParams DedupParamsOf(const Store& store);

// The catalog row of a manifest about to be committed.
SnapshotRecord SnapshotRecordOf(const Manifest& manifest, std::uint64_t manifest_bytes);

// The store's commit order, for every writer of snapshots (local backups,
// agent uploads on the appliance): chunk names durable -> sealed manifest ->
// catalog row. Returns the manifest's stored size. The caller serializes use
// of the store's catalog. The governing retention policy's lock_for (core/
// retention) sets manifest.lock_until_unix_ns before it is sealed.
// `TEST_fail_before_manifest` fails (IoError) once
// the chunks are durable, before the manifest.
Result<std::uint64_t> CommitSnapshotToStore(Store& store, Manifest& manifest,
                                            const std::vector<NewChunk>& new_chunks,
                                            const std::vector<ChunkId>& referenced,
                                            bool TEST_fail_before_manifest = false);

class LocalBackupTarget : public BackupTarget {
 public:
  explicit LocalBackupTarget(Store& store) : store_(store), dedup_(DedupParamsOf(store)) {}

  const DedupParams& dedup() const override { return dedup_; }
  Result<std::vector<ChunkId>> KnownChunkIds() override;
  bool KnownChunkIdsComplete() const override { return true; }
  Result<std::optional<ParentSnapshot>> FindParent(const std::string& name) override;
  Result<std::unique_ptr<ChunkSink>> NewChunkSink() override;
  Result<std::uint64_t> Commit(Manifest& manifest, const std::vector<NewChunk>& new_chunks,
                               const std::vector<ChunkId>& referenced) override;

  // Test hook: fail (IoError) just before the manifest is written.
  bool TEST_fail_before_manifest = false;

 private:
  Store& store_;
  DedupParams dedup_;
};

}  // namespace cairn
