#include "appliance/daemon/chunk_ingest.h"

#include <unordered_set>

#include "core/crypto/chunk_hasher.h"
#include "core/crypto/sealed_object.h"
#include "core/engine/backup.h"
#include "core/engine/local_backup_target.h"

namespace cairn {

Result<std::unique_ptr<ChunkIngest>> ChunkIngest::Create(StoreService& service, Clock& clock) {
  std::unique_ptr<ChunkIngest> ingest(new ChunkIngest(service, clock));
  CAIRN_ASSIGN_OR_RETURN(std::vector<ChunkId> known,
                         service.WithCatalog([](Catalog& c) { return c.AllChunkIds(); }));
  for (const ChunkId& id : known) ingest->cataloged_.InsertIfAbsent(id);
  return ingest;
}

ChunkBatchLimits ChunkIngest::limits() const {
  ChunkBatchLimits l;
  l.max_plain_size = service_.store().config().chunker.max_size;
  return l;
}

std::size_t ChunkIngest::received_count() {
  std::lock_guard lock(received_mu_);
  return received_.size();
}

bool ChunkIngest::Present(const ChunkId& id) {
  if (cataloged_.Contains(id)) return true;
  std::lock_guard lock(received_mu_);
  return received_.contains(id);
}

std::vector<ChunkId> ChunkIngest::Missing(const std::vector<ChunkId>& ids) {
  std::vector<ChunkId> missing;
  for (const ChunkId& id : ids) {
    if (!Present(id)) missing.push_back(id);
  }
  return missing;
}

Result<bool> ChunkIngest::SweepChunk(const ChunkId& id,
                                     const std::function<Result<bool>(Catalog&)>& remove) {
  return service_.WithCatalog([&](Catalog& catalog) -> Result<bool> {
    std::lock_guard lock(received_mu_);
    if (received_.contains(id)) return false;
    const bool was_present = cataloged_.Erase(id);
    auto removed = remove(catalog);
    if (!removed.ok() || !*removed) {
      if (was_present) cataloged_.InsertIfAbsent(id);
      return removed;
    }
    return true;
  });
}

void ChunkIngest::Forget(const ChunkId& id) { cataloged_.Erase(id); }

Result<AcceptResult> ChunkIngest::Accept(const std::vector<ChunkFrame>& frames) {
  Store& store = service_.store();
  // Per call: a batch carries many chunks, so building the contexts here
  // costs little and keeps the worker threads free of shared state.
  ChunkHasher hasher(store.keys().id);
  ObjectSealer sealer(store.keys().data, store.config().zstd_level);
  Decompressor decompressor;
  const std::size_t max_plain = store.config().chunker.max_size;
  AcceptResult result;
  for (const ChunkFrame& f : frames) {
    result.bytes_received += f.payload.size();
    if (Present(f.id)) {
      ++result.already_present;
      continue;
    }
    auto plain = DecodePayload(decompressor, f.codec, f.plain_size, f.payload, max_plain);
    if (!plain.ok()) {
      return Status::InvalidArgument("chunk " + f.id.Hex() + ": " + plain.error().message() +
                                     "; the chunk was refused");
    }
    if (hasher.Hash(*plain) != f.id) {
      return Status::InvalidArgument(
          "chunk " + f.id.Hex() +
          ": content does not match its id; refused (an agent with the wrong id key, or "
          "damaged data: re-enroll the agent if this persists)");
    }
    const EncodedPayload payload{f.codec, f.plain_size, f.payload};
    CAIRN_ASSIGN_OR_RETURN(Bytes sealed, sealer.SealEncoded(ObjectType::kChunk, f.id.bytes, payload));
    CAIRN_ASSIGN_OR_RETURN(std::uint64_t written, store.WriteChunk(f.id, sealed));
    // 0: the file was already there (a chunk of a snapshot that never
    // committed, from before a restart); it is the same sealed size class.
    const std::uint64_t stored_size = written > 0 ? written : sealed.size();
    {
      std::lock_guard lock(received_mu_);
      received_.emplace(f.id, NewChunk{f.id, f.plain_size, stored_size});
    }
    if (written > 0) {
      ++result.stored;
      result.bytes_stored += written;
    } else {
      ++result.already_present;
    }
  }
  return result;
}

Result<CommitOutcome> ChunkIngest::Commit(Manifest manifest, const std::string& cluster) {
  CAIRN_RETURN_IF_ERROR(ValidateSnapshotName(manifest.name));
  CommitOutcome outcome;
  std::unordered_set<ChunkId, ChunkIdHash> referenced;
  for (const TreeEntry& e : manifest.entries) {
    for (const ChunkSlice& s : e.content) referenced.insert(s.id);
  }
  CAIRN_ASSIGN_OR_RETURN(manifest.snapshot_id, NewSnapshotId());
  manifest.cluster = cluster;
  std::vector<NewChunk> new_chunks;
  std::vector<ChunkId> referenced_list(referenced.begin(), referenced.end());
  Store& store = service_.store();
  // One catalog-lock section from the presence check to the catalog row:
  // garbage collection (SweepChunk) takes the same lock, then the received
  // lock as here, so no chunk found present below can be swept before the
  // commit that references it.
  auto committed = service_.WithCatalog([&](Catalog&) -> Result<std::uint64_t> {
    {
      std::lock_guard lock(received_mu_);
      for (const ChunkId& id : referenced) {
        if (cataloged_.Contains(id)) continue;
        auto it = received_.find(id);
        if (it == received_.end()) {
          outcome.missing.push_back(id);
        } else {
          new_chunks.push_back(it->second);
        }
      }
    }
    if (!outcome.missing.empty()) return std::uint64_t{0};
    manifest.created_unix_ns = clock_.NowUnixNanos();
    BackupFigures& f = manifest.figures;
    f.chunks_new = new_chunks.size();
    f.bytes_new = 0;
    f.bytes_stored = 0;
    for (const NewChunk& c : new_chunks) {
      f.bytes_new += c.plain_size;
      f.bytes_stored += c.stored_size;
    }
    f.chunks_referenced = referenced.size();
    return CommitSnapshotToStore(store, manifest, new_chunks, referenced_list);
  });
  CAIRN_RETURN_IF_ERROR(committed.status());
  if (!outcome.missing.empty()) return outcome;
  const std::uint64_t manifest_bytes = *committed;
  const BackupFigures& f = manifest.figures;
  for (const NewChunk& c : new_chunks) cataloged_.InsertIfAbsent(c.id);
  {
    std::lock_guard lock(received_mu_);
    for (const NewChunk& c : new_chunks) received_.erase(c.id);
  }
  outcome.snapshot_id = manifest.snapshot_id;
  outcome.manifest_bytes = manifest_bytes;
  outcome.chunks_new = f.chunks_new;
  outcome.bytes_new = f.bytes_new;
  outcome.bytes_stored = f.bytes_stored;
  return outcome;
}

}  // namespace cairn
