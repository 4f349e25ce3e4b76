#include "sync/engine/replica_chunk_source.h"

#include "core/store/store.h"
#include "sync/engine/open_target.h"
#include "sync/engine/replication_catalog.h"
#include "sync/target/replica_layout.h"

namespace cairn {

ReplicaTargetChunkSource::ReplicaTargetChunkSource(TargetSpec spec, FileSystem& fs)
    : name_(std::string(TargetKindName(spec.kind)) + " target " + spec.name),
      spec_(std::move(spec)),
      fs_(&fs) {}

ReplicaTargetChunkSource::ReplicaTargetChunkSource(std::string name,
                                                   std::unique_ptr<ReplicaTarget> target)
    : name_(std::move(name)), target_(std::move(target)) {}

Result<std::optional<Bytes>> ReplicaTargetChunkSource::FetchSealedChunk(const ChunkId& id) {
  if (!target_) {
    if (!spec_) return Status::InvalidArgument(name_ + ": no target");
    auto opened = OpenReplicaTarget(*spec_, *fs_);
    if (!opened.ok()) return opened.error().WithContext("open " + name_);
    target_ = std::move(*opened);
  }
  auto got = target_->Get(ReplicaChunkKey(id), Store::kMaxSealedChunkBytes);
  if (!got.ok() && got.error().IsNotFound()) return std::optional<Bytes>();
  if (!got.ok()) return got.error();
  // The target was told the bound; a target that ignores it is refused here.
  if (got->size() > Store::kMaxSealedChunkBytes) {
    return Status::InvalidArgument("chunk " + id.Hex() + " from " + name_ + " is " +
                                   std::to_string(got->size()) +
                                   " bytes, larger than any sealed chunk");
  }
  return std::optional<Bytes>(std::move(*got));
}

ReplicaChunkSource::ReplicaChunkSource(const std::vector<TargetSpec>& specs, FileSystem& fs) {
  for (const TargetSpec& spec : specs) {
    sources_.push_back(std::make_unique<ReplicaTargetChunkSource>(spec, fs));
  }
}

Result<std::unique_ptr<ReplicaChunkSource>> ReplicaChunkSource::FromCatalog(
    const std::filesystem::path& catalog_db, FileSystem& fs) {
  CAIRN_ASSIGN_OR_RETURN(auto catalog, ReplicationCatalog::Open(catalog_db));
  CAIRN_ASSIGN_OR_RETURN(std::vector<TargetSpec> specs, catalog->ListTargets());
  return std::make_unique<ReplicaChunkSource>(specs, fs);
}

Result<std::optional<Bytes>> ReplicaChunkSource::FetchSealedChunk(const ChunkId& id) {
  Status last = Status::Ok();
  for (auto& source : sources_) {
    auto got = source->FetchSealedChunk(id);
    if (got.ok() && got->has_value()) return got;
    if (!got.ok()) last = got.error();
  }
  if (!last.ok()) return last;
  return std::optional<Bytes>();
}

std::vector<ChunkHealSource*> ReplicaChunkSource::Members() {
  std::vector<ChunkHealSource*> out;
  for (auto& source : sources_) out.push_back(source.get());
  return out;
}

}  // namespace cairn
