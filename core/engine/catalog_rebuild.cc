#include "core/engine/catalog_rebuild.h"

#include <unordered_set>

#include "core/crypto/sealed_object.h"
#include "core/engine/local_backup_target.h"

namespace cairn {

namespace {

// Sizes for the index: the file's size and the plaintext length recorded in
// its envelope header (authenticated later by verify, not here).
Result<NewChunk> ChunkSizes(Store& store, const ChunkId& id) {
  CAIRN_ASSIGN_OR_RETURN(auto file, store.fs().OpenReadable(store.ChunkPath(id)));
  CAIRN_ASSIGN_OR_RETURN(std::uint64_t size, file->Size());
  std::uint8_t header[kSealedHeaderSize];
  CAIRN_ASSIGN_OR_RETURN(std::size_t n, file->ReadAt(0, header));
  NewChunk c{id, 0, size};
  if (n == sizeof header) c.plain_size = GetU32(header + 8);
  return c;
}

}  // namespace

Result<RebuildReport> RebuildCatalog(Store& store, const RebuildOptions& options) {
  RebuildReport report;
  CAIRN_ASSIGN_OR_RETURN(auto files, store.ListManifestFiles());
  std::unordered_set<ChunkId, ChunkIdHash> indexed;
  for (const auto& [name, id] : files) {
    auto m = store.ReadManifest(name, id);
    if (!m.ok()) {
      report.unreadable_manifests.push_back(name + "/" + id + ": " + m.error().message());
      continue;
    }
    std::unordered_set<ChunkId, ChunkIdHash> referenced;
    for (const TreeEntry& e : m->entries) {
      for (const ChunkSlice& s : e.content) referenced.insert(s.id);
    }
    std::vector<NewChunk> new_chunks;
    for (const ChunkId& c : referenced) {
      if (indexed.contains(c)) continue;
      auto sizes = ChunkSizes(store, c);
      std::optional<NewChunk> elsewhere;
      if (!sizes.ok() && options.absent_chunk) elsewhere = options.absent_chunk(c);
      if (elsewhere) {
        new_chunks.push_back(*elsewhere);
      } else if (!sizes.ok()) {
        report.missing_chunks.push_back(c.Hex() + " (snapshot " + name + "/" + id + ")");
        new_chunks.push_back(NewChunk{c, 0, 0});  // indexed so verify names it
      } else {
        new_chunks.push_back(*sizes);
      }
      indexed.insert(c);
    }
    CAIRN_ASSIGN_OR_RETURN(std::uint64_t manifest_bytes,
                           store.fs().FileSize(store.ManifestPath(name, id)));
    SnapshotRecord record = SnapshotRecordOf(*m, manifest_bytes);
    record.chunk_count = referenced.size();  // what the manifest really names
    std::vector<ChunkId> refs(referenced.begin(), referenced.end());
    CAIRN_RETURN_IF_ERROR(store.catalog().CommitSnapshot(record, new_chunks, refs)
                              .WithContext("rebuild snapshot " + name + "/" + id));
    ++report.snapshots;
  }
  report.chunks = indexed.size();
  return report;
}

}  // namespace cairn
