#include "core/engine/verify.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "core/store/chunk_reader.h"

namespace cairn {

Result<VerifyReport> RunVerify(Store& store, int threads, JobProgress* progress) {
  VerifyReport report;
  CAIRN_ASSIGN_OR_RETURN(std::vector<SnapshotRecord> snapshots, store.catalog().ListSnapshots());
  report.snapshots = snapshots.size();

  // Pass 1: every manifest, and the distinct chunks they reference.
  std::vector<ChunkId> chunks;
  std::unordered_set<ChunkId, ChunkIdHash> seen;
  std::vector<const SnapshotRecord*> readable;
  for (const SnapshotRecord& snap : snapshots) {
    auto m = store.ReadManifest(snap.name, snap.id);
    if (!m.ok()) {
      report.damaged_manifests.push_back(snap.name + "/" + snap.id + ": " + m.error().ToString());
      continue;
    }
    readable.push_back(&snap);
    for (const TreeEntry& e : m->entries) {
      for (const ChunkSlice& s : e.content) {
        if (seen.insert(s.id).second) chunks.push_back(s.id);
      }
    }
  }
  if (progress) progress->bytes_total = 0;

  // Pass 2: prove every chunk, in parallel.
  ChunkProofs proofs = ProveChunks(store, chunks, threads, progress);
  std::vector<std::pair<ChunkId, std::string>>& bad = proofs.bad;
  std::vector<ChunkId>& good = proofs.good;
  report.chunks_checked = chunks.size();
  report.bytes_checked = proofs.bytes;

  // Pass 3: who depends on each damaged chunk.
  for (auto& [id, problem] : bad) report.damaged_chunks.push_back(DamagedChunk{id, problem, {}});
  if (!bad.empty()) {
    std::vector<std::pair<std::string, std::string>> names;
    for (const SnapshotRecord* snap : readable) names.emplace_back(snap->name, snap->id);
    AttributeDamagedChunks(store, names, report.damaged_chunks);
  }
  Status marked = store.catalog().MarkVerified(good, DefaultClock().NowUnixNanos());
  if (!marked.ok()) return marked.WithContext("verify: record results in the catalog");
  return report;
}

ChunkProofs ProveChunks(Store& store, const std::vector<ChunkId>& ids, int threads,
                        JobProgress* progress, const std::atomic<bool>* cancel) {
  if (threads <= 0) threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  threads = static_cast<int>(std::min<std::size_t>(threads, std::max<std::size_t>(1, ids.size())));
  ChunkProofs out;
  std::atomic<std::size_t> next{0};
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<bool> stopped{false};
  std::mutex mu;
  auto worker = [&] {
    ChunkReader reader(store);
    std::vector<ChunkId> good;
    std::vector<std::pair<ChunkId, std::string>> bad;
    for (std::size_t i; (i = next.fetch_add(1)) < ids.size();) {
      if (cancel && cancel->load(std::memory_order_relaxed)) {
        stopped = true;
        break;
      }
      auto plain = reader.Read(ids[i]);
      if (plain.ok()) {
        bytes += plain->size();
        good.push_back(ids[i]);
        if (progress) progress->Add(progress->bytes_done, plain->size());
      } else {
        bad.emplace_back(ids[i], plain.error().ToString());
        if (progress) progress->Add(progress->problems, 1);
      }
      if (progress) progress->Add(progress->chunks_done, 1);
    }
    std::lock_guard lock(mu);
    out.good.insert(out.good.end(), good.begin(), good.end());
    out.bad.insert(out.bad.end(), bad.begin(), bad.end());
  };
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  out.bytes = bytes;
  out.cancelled = stopped;
  std::sort(out.bad.begin(), out.bad.end(),
            [](const auto& a, const auto& b) { return a.first.bytes < b.first.bytes; });
  return out;
}

void AttributeDamagedChunks(Store& store,
                            const std::vector<std::pair<std::string, std::string>>& snapshots,
                            std::vector<DamagedChunk>& chunks) {
  if (chunks.empty()) return;
  std::unordered_map<ChunkId, std::size_t, ChunkIdHash> index;
  for (std::size_t k = 0; k < chunks.size(); ++k) index.emplace(chunks[k].id, k);
  for (const auto& [name, id] : snapshots) {
    auto m = store.ReadManifest(name, id);
    if (!m.ok()) continue;  // reported by whoever listed it, if it stays damaged
    std::unordered_map<std::size_t, DamagedChunk::Use> uses;
    for (const TreeEntry& e : m->entries) {
      std::unordered_set<std::size_t> hit;
      for (const ChunkSlice& s : e.content) {
        auto it = index.find(s.id);
        if (it != index.end()) hit.insert(it->second);
      }
      for (std::size_t k : hit) {
        DamagedChunk::Use& use = uses[k];
        use.snapshot_id = id;
        use.name = name;
        if (use.files.size() < VerifyReport::kMaxFilesListed) {
          use.files.push_back(e.path);
        } else {
          ++use.more_files;
        }
      }
    }
    for (auto& [k, use] : uses) chunks[k].used_by.push_back(std::move(use));
  }
}

}  // namespace cairn
