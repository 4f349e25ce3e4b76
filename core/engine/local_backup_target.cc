#include "core/engine/local_backup_target.h"

#include <algorithm>

#include "core/crypto/sealed_object.h"
#include "core/retention/retention_policies.h"

namespace cairn {
namespace {

// Seals each claimed chunk on the worker thread and writes it as a temporary
// file; Store::CommitChunks gives the names later.
class LocalChunkSink : public ChunkSink {
 public:
  explicit LocalChunkSink(Store& store)
      : store_(store), sealer_(store.keys().data, store.config().zstd_level) {}

  Status Put(const ChunkId& id, std::shared_ptr<const Bytes>, ByteSpan plaintext) override {
    auto sealed = sealer_.Seal(ObjectType::kChunk, id.bytes, plaintext);
    if (!sealed.ok()) return sealed.error().WithContext("seal chunk " + id.Hex());
    CAIRN_ASSIGN_OR_RETURN(std::uint64_t written, store_.WriteChunk(id, *sealed));
    RecordNew(NewChunk{id, plaintext.size(), written});
    return Status::Ok();
  }
  Status Flush() override { return Status::Ok(); }

 private:
  Store& store_;
  ObjectSealer sealer_;
};

}  // namespace

DedupParams DedupParamsOf(const Store& store) {
  DedupParams p;
  p.chunker = store.config().chunker;
  p.pack_below = store.config().pack_below;
  p.zstd_level = store.config().zstd_level;
  p.id_key = store.keys().id;
  p.gear_table = store.keys().gear_table;
  return p;
}

SnapshotRecord SnapshotRecordOf(const Manifest& manifest, std::uint64_t manifest_bytes) {
  const BackupFigures& f = manifest.figures;
  SnapshotRecord record;
  record.id = manifest.snapshot_id;
  record.name = manifest.name;
  record.cluster = manifest.cluster;
  record.source = manifest.source;
  record.hostname = manifest.hostname;
  record.created_unix_ns = manifest.created_unix_ns;
  record.file_count = f.files;
  record.dir_count = f.directories;
  record.bytes_read = f.bytes_logical;
  record.bytes_new = f.bytes_new;
  record.bytes_stored = f.bytes_stored;
  record.chunk_count = f.chunks_referenced;
  record.manifest_bytes = manifest_bytes;
  record.tags = manifest.tags;
  record.lock_until_unix_ns = manifest.lock_until_unix_ns;
  return record;
}

Result<std::vector<ChunkId>> LocalBackupTarget::KnownChunkIds() {
  return store_.catalog().AllChunkIds();
}

Result<std::optional<ParentSnapshot>> LocalBackupTarget::FindParent(const std::string& name) {
  CAIRN_ASSIGN_OR_RETURN(auto latest, store_.catalog().LatestSnapshot(name));
  if (!latest) return std::optional<ParentSnapshot>();
  CAIRN_ASSIGN_OR_RETURN(Manifest m, store_.ReadManifest(latest->name, latest->id));
  return std::optional<ParentSnapshot>(ParentSnapshot{latest->id, std::move(m)});
}

Result<std::unique_ptr<ChunkSink>> LocalBackupTarget::NewChunkSink() {
  return std::unique_ptr<ChunkSink>(std::make_unique<LocalChunkSink>(store_));
}

Result<std::uint64_t> CommitSnapshotToStore(Store& store, Manifest& manifest,
                                            const std::vector<NewChunk>& new_chunks,
                                            const std::vector<ChunkId>& referenced,
                                            bool TEST_fail_before_manifest) {
  // The governing retention policy's lock goes into the manifest before it
  // is sealed: from the commit on, nobody can delete the snapshot early.
  CAIRN_ASSIGN_OR_RETURN(auto policy, RetentionPolicies(store.catalog().db())
                                          .Governing(manifest.cluster, ScheduleOfTags(manifest.tags)));
  if (policy && policy->policy.lock_for_ns > 0) {
    manifest.lock_until_unix_ns = std::max(manifest.lock_until_unix_ns,
                                           manifest.created_unix_ns + policy->policy.lock_for_ns);
  }
  CAIRN_RETURN_IF_ERROR(store.CommitChunks());
  if (TEST_fail_before_manifest) {
    return Status::IoError("TEST: injected failure before the manifest");
  }
  CAIRN_ASSIGN_OR_RETURN(std::uint64_t manifest_bytes,
                         store.WriteManifest(manifest, store.config().zstd_level));
  CAIRN_RETURN_IF_ERROR(store.catalog().CommitSnapshot(SnapshotRecordOf(manifest, manifest_bytes),
                                                       new_chunks, referenced));
  return manifest_bytes;
}

Result<std::uint64_t> LocalBackupTarget::Commit(Manifest& manifest,
                                                const std::vector<NewChunk>& new_chunks,
                                                const std::vector<ChunkId>& referenced) {
  return CommitSnapshotToStore(store_, manifest, new_chunks, referenced, TEST_fail_before_manifest);
}

}  // namespace cairn
