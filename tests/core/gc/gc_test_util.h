// Shared set-up for garbage collection tests: a store with small chunks (so a
// few hundred KiB spread over many chunk directories), snapshots made and
// deleted through the real engine and catalog, and views of what is on disk.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <set>

#include "core/gc/garbage_collector.h"
#include "tests/core/engine/engine_test_util.h"
#include "tests/support/sample_tree.h"

namespace cairn {

struct GcFixture {
  TempDir tmp;
  fs::path dir = tmp.path() / "store";
  fs::path key = tmp.path() / "store.key";

  GcFixture() {
    StoreOptions options;
    options.chunker = ChunkerParams{4 * 1024, 16 * 1024, 64 * 1024};
    REQUIRE(Store::Init(DefaultFileSystem(), dir, key, options).ok());
  }

  std::unique_ptr<Store> Open(FileSystem& fs = DefaultFileSystem(),
                              const fs::path& store_dir = {}) const {
    auto s = Store::Open(fs, store_dir.empty() ? dir : store_dir, KeySource{key, std::nullopt});
    REQUIRE(s.ok());
    return std::move(*s);
  }

  // tmp/src-<name> holding `files` seeded files of `size` bytes each, seeds
  // seed, seed+1, ... (the same seed makes the same content, so shared data
  // shares chunks).
  fs::path Source(const std::string& name, std::uint64_t seed, int files = 2,
                  std::uint64_t size = 200 * 1024) const {
    fs::path src = tmp.path() / ("src-" + name);
    fs::create_directories(src);
    for (int i = 0; i < files; ++i) {
      WriteSeededFile(src / ("f" + std::to_string(seed + i)), size, seed + i);
    }
    return src;
  }

  std::string Backup(Store& store, const fs::path& src, const std::string& name) const {
    auto r = StoreFixture::Backup(store, src, name);
    REQUIRE(r.ok());
    return r->snapshot_id;
  }

  struct Snapshot {
    std::string id;
    std::set<ChunkId> chunks;
  };
  // A snapshot `name` of Source(name, seed) and the chunks it names.
  Snapshot BackupSeeded(Store& store, const std::string& name, std::uint64_t seed) const;
};

inline std::set<ChunkId> ManifestChunks(Store& store, const std::string& snapshot_id) {
  auto record = store.catalog().FindSnapshot(snapshot_id);
  REQUIRE(record.ok());
  auto m = store.ReadManifest(record->name, snapshot_id);
  REQUIRE(m.ok());
  std::set<ChunkId> out;
  for (const TreeEntry& e : m->entries) {
    for (const ChunkSlice& s : e.content) out.insert(s.id);
  }
  return out;
}

inline GcFixture::Snapshot GcFixture::BackupSeeded(Store& store, const std::string& name,
                                                   std::uint64_t seed) const {
  Snapshot snapshot;
  snapshot.id = Backup(store, Source(name, seed), name);
  snapshot.chunks = ManifestChunks(store, snapshot.id);
  return snapshot;
}

// Chunk files under their final names.
inline std::set<ChunkId> ChunkFiles(const fs::path& store_dir) {
  std::set<ChunkId> out;
  for (auto& p : fs::recursive_directory_iterator(store_dir / "chunks")) {
    if (!p.is_regular_file()) continue;
    if (auto id = ChunkId::FromHex(p.path().filename().string())) out.insert(*id);
  }
  return out;
}

inline std::size_t CountTemporaries(const fs::path& store_dir) {
  std::size_t n = 0;
  for (auto& p : fs::recursive_directory_iterator(store_dir / "chunks")) {
    if (p.path().filename().string().find(".tmp-") != std::string::npos) ++n;
  }
  return n;
}

// Moves the modification time of every file under chunks/ back by `by`, as
// if written that long ago (older than GC's cutoff when by > the grace).
inline void AgeChunkFiles(const fs::path& store_dir,
                          std::chrono::seconds by = std::chrono::hours(2)) {
  const auto when = fs::file_time_type::clock::now() - by;
  for (auto& p : fs::recursive_directory_iterator(store_dir / "chunks")) {
    if (p.is_regular_file()) fs::last_write_time(p.path(), when);
  }
}

// The three-step deletion (catalog.h): mark, unlink the manifest, finish.
inline void DeleteSnapshot(Store& store, const std::string& snapshot_id) {
  auto record = store.catalog().FindSnapshot(snapshot_id);
  REQUIRE(record.ok());
  const std::set<ChunkId> chunks = ManifestChunks(store, snapshot_id);
  REQUIRE(store.catalog().BeginSnapshotDeletion(snapshot_id, DefaultClock().NowUnixNanos()).ok());
  REQUIRE(store.fs().RemoveFile(store.ManifestPath(record->name, snapshot_id)).ok());
  REQUIRE(
      store.catalog()
          .FinishSnapshotDeletion(snapshot_id, std::vector<ChunkId>(chunks.begin(), chunks.end()))
          .ok());
}

inline Result<GcReport> RunLocalGc(Store& store, const GcOptions& options = {}) {
  LocalGcEnvironment env(store.catalog());
  return RunGarbageCollection(store, env, options);
}

inline std::set<ChunkId> Minus(const std::set<ChunkId>& a, const std::set<ChunkId>& b) {
  std::set<ChunkId> out;
  for (const ChunkId& id : a) {
    if (!b.contains(id)) out.insert(id);
  }
  return out;
}

inline std::set<ChunkId> Union(const std::set<ChunkId>& a, const std::set<ChunkId>& b) {
  std::set<ChunkId> out = a;
  out.insert(b.begin(), b.end());
  return out;
}

}  // namespace cairn
