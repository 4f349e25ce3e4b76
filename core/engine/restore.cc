#include "core/engine/restore.h"

#include <thread>

#include "core/engine/chunk_prefetcher.h"

namespace cairn {

namespace {

// The chunks the restore will read, in order; consecutive slices of one chunk
// (small files packed together) read it once.
std::vector<ChunkId> ChunkSequence(const Manifest& m) {
  std::vector<ChunkId> seq;
  for (const TreeEntry& e : m.entries) {
    for (const ChunkSlice& s : e.content) {
      if (seq.empty() || seq.back() != s.id) seq.push_back(s.id);
    }
  }
  return seq;
}

}  // namespace

Result<SnapshotRecord> ResolveSnapshot(Catalog& catalog, std::string_view spec,
                                       const std::optional<std::string>& name,
                                       const std::optional<std::string>& cluster) {
  if (spec == "latest") {
    CAIRN_ASSIGN_OR_RETURN(auto latest, catalog.LatestSnapshot(name, cluster));
    if (!latest && cluster) {
      return Status::NotFound((name ? "no snapshot named '" + *name + "'" : std::string("no snapshot")) +
                              " for cluster '" + *cluster + "' yet");
    }
    if (!latest) {
      return Status::NotFound(name ? "no snapshot named '" + *name + "' in this store"
                                   : std::string("this store has no snapshots yet"));
    }
    return *latest;
  }
  CAIRN_ASSIGN_OR_RETURN(SnapshotRecord record, catalog.FindSnapshot(spec));
  if (cluster && record.cluster != *cluster) {
    // The same answer as for an id that does not exist: a cluster does not
    // learn what other clusters have.
    return Status::NotFound("no snapshot with id or id prefix \"" + std::string(spec) + "\"");
  }
  return record;
}

Result<RestoreResult> RunRestore(Store& store, const RestoreRequest& request, EntrySink& sink) {
  CAIRN_ASSIGN_OR_RETURN(SnapshotRecord record,
                         ResolveSnapshot(store.catalog(), request.snapshot, request.name));
  CAIRN_ASSIGN_OR_RETURN(Manifest manifest, store.ReadManifest(record.name, record.id));
  std::vector<std::unique_ptr<ChunkFetcher>> fetchers;
  for (int i = 0; i < RestoreThreads(request); ++i) {
    fetchers.push_back(std::make_unique<StoreChunkFetcher>(store));
  }
  return RestoreManifest(manifest, std::move(fetchers), request, sink);
}

int RestoreThreads(const RestoreRequest& request) {
  return request.threads > 0 ? request.threads
                             : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

Result<RestoreResult> RestoreManifest(const Manifest& manifest,
                                      std::vector<std::unique_ptr<ChunkFetcher>> fetchers,
                                      const RestoreRequest& request, EntrySink& sink) {
  RestoreResult result;
  result.snapshot_id = manifest.snapshot_id;
  if (request.progress) {
    std::uint64_t total = 0;
    for (const TreeEntry& e : manifest.entries) total += e.ContentLength();
    request.progress->bytes_total = total;
  }
  const std::size_t window = fetchers.size() * 4 + 4;
  ChunkPrefetcher prefetcher(std::move(fetchers), ChunkSequence(manifest), window);
  std::size_t next_index = 0;
  std::optional<ChunkId> current_id;
  std::shared_ptr<const Bytes> current;
  Status current_status;

  for (const TreeEntry& e : manifest.entries) {
    Status entry_status = sink.Begin(e);
    const bool began = entry_status.ok();
    bool writing = began;
    std::uint64_t offset = 0;
    for (const ChunkSlice& s : e.content) {
      // Advance through the chunk sequence even for a refused entry, so the
      // next entries still line up with their chunks.
      if (!current_id || *current_id != s.id) {
        auto got = prefetcher.Get(next_index++);
        current_id = s.id;
        current_status = got.status();
        current = got.ok() ? *got : nullptr;
      }
      if (!writing) continue;
      if (!current_status.ok()) {
        entry_status = current_status;
        writing = false;
        continue;
      }
      if (std::uint64_t{s.offset} + s.length > current->size()) {
        entry_status = Status::Corruption("slice " + std::to_string(s.offset) + "+" +
                                          std::to_string(s.length) + " lies outside chunk " +
                                          s.id.Hex());
        writing = false;
        continue;
      }
      entry_status = sink.WriteShared(offset, ByteSpan(current->data() + s.offset, s.length), current);
      if (!entry_status.ok()) {
        writing = false;
        continue;
      }
      offset += s.length;
      result.bytes += s.length;
      if (request.progress) request.progress->Add(request.progress->bytes_done, s.length);
    }
    if (writing) {
      entry_status = sink.End();
    } else if (began) {
      // Close the failed entry; the sink says what became of the partial file.
      Status closed = sink.End();
      if (!closed.ok()) {
        entry_status = Status(entry_status.code(), entry_status.message() + "; " + closed.message());
      }
    }
    if (!entry_status.ok()) {
      result.errors.push_back(e.path + ": " + entry_status.message());
    } else {
      ++result.entries;
      if (e.type == EntryType::kFile) ++result.files;
    }
    if (request.progress) request.progress->Add(request.progress->entries, 1);
  }
  Status finished = sink.Finish();
  if (!finished.ok()) result.errors.push_back("finishing restore: " + finished.ToString());
  // Failures a background writer found after the entry had ended.
  for (auto& [path, status] : sink.TakeFailedEntries()) {
    result.errors.push_back(path + ": " + status.message());
    if (result.entries > 0) --result.entries;
    if (result.files > 0) --result.files;
  }
  return result;
}

}  // namespace cairn
