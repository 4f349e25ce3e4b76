// ReplicaChunkSource: the replication targets as a ChunkHealSource for the
// scrub (core/scrub/scrub.h) -- every target in the catalog
// (replication_targets: S3, another appliance, a directory), tried in
// order, each a member of its own so that a target returning bytes that do
// not prove does not keep the next one from healing.
//
// A target is opened (OpenReplicaTarget) at its first fetch, so a target
// that is down costs nothing until a chunk is actually damaged, and its
// failure is reported per chunk instead of failing the scrub. A fetched
// object larger than Store::kMaxSealedChunkBytes is refused.
//
// Thread-safety: one thread at a time (ReplicaTarget objects are per thread).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/base/file_system.h"
#include "core/scrub/chunk_heal_source.h"
#include "sync/target/replica_target.h"
#include "sync/target/target_spec.h"

namespace cairn {

// One replica.
class ReplicaTargetChunkSource final : public ChunkHealSource {
 public:
  // Opened from `spec` at the first fetch.
  ReplicaTargetChunkSource(TargetSpec spec, FileSystem& fs);
  // An already open target (tests).
  ReplicaTargetChunkSource(std::string name, std::unique_ptr<ReplicaTarget> target);

  std::string name() const override { return name_; }
  Result<std::optional<Bytes>> FetchSealedChunk(const ChunkId& id) override;

 private:
  std::string name_;
  std::optional<TargetSpec> spec_;
  FileSystem* fs_ = nullptr;
  std::unique_ptr<ReplicaTarget> target_;
};

// Every replica, in order.
class ReplicaChunkSource final : public ChunkHealSource {
 public:
  ReplicaChunkSource() = default;
  explicit ReplicaChunkSource(const std::vector<TargetSpec>& specs,
                              FileSystem& fs = DefaultFileSystem());
  // The targets configured in the store's catalog (<store>/catalog.db), on
  // a connection of its own.
  static Result<std::unique_ptr<ReplicaChunkSource>> FromCatalog(
      const std::filesystem::path& catalog_db, FileSystem& fs = DefaultFileSystem());

  void Add(std::unique_ptr<ChunkHealSource> source) { sources_.push_back(std::move(source)); }
  std::size_t size() const { return sources_.size(); }

  std::string name() const override { return "replicas"; }
  // The first member's copy (unproven: the scrub proves each member's).
  Result<std::optional<Bytes>> FetchSealedChunk(const ChunkId& id) override;
  std::vector<ChunkHealSource*> Members() override;

 private:
  std::vector<std::unique_ptr<ChunkHealSource>> sources_;
};

}  // namespace cairn
