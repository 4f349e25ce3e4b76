// Garbage collection: what it frees, what it must never free (chunks of
// live snapshots, of backups in flight, of unfinished deletions), how it
// reports, and how it refuses to guess.
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "core/engine/verify.h"
#include "core/gc/chunk_rows.h"
#include "core/gc/gc_runs.h"
#include "tests/core/gc/gc_test_util.h"

namespace cairn {
namespace {

TEST_CASE("GC frees exactly the chunks of a deleted snapshot; the others still verify and restore",
          "[integration][gc]") {
  GcFixture f;
  const fs::path one = f.Source("one", 1);  // f1, f2
  const fs::path two = f.Source("two", 2);  // f2, f3: f2 is shared
  auto store = f.Open();
  const std::string s1 = f.Backup(*store, one, "one");
  const std::string s2 = f.Backup(*store, two, "two");
  const std::set<ChunkId> c1 = ManifestChunks(*store, s1), c2 = ManifestChunks(*store, s2);
  const std::set<ChunkId> garbage = Minus(c1, c2);
  REQUIRE(garbage.size() > 10);
  REQUIRE(garbage.size() < c1.size());  // some chunks are shared and must stay
  REQUIRE(ChunkFiles(f.dir) == Union(c1, c2));

  DeleteSnapshot(*store, s1);
  AgeChunkFiles(f.dir);
  auto report = RunLocalGc(*store);
  REQUIRE(report.ok());
  CHECK(report->snapshots_marked == 1);
  CHECK(report->chunks_live == c2.size());
  CHECK(report->chunks_freed == garbage.size());
  CHECK(report->bytes_freed > 0);
  CHECK(report->missing_count == 0);
  CHECK(report->kept_recent == 0);
  CHECK(report->chunk_files == c1.size() + c2.size() - (c1.size() - garbage.size()));
  CHECK(ChunkFiles(f.dir) == c2);
  for (const ChunkId& id : garbage) CHECK_FALSE(store->catalog().GetChunk(id)->has_value());
  for (const ChunkId& id : c2) CHECK(store->catalog().GetChunk(id).value()->refcount == 1);

  auto verified = RunVerify(*store);
  REQUIRE(verified.ok());
  CHECK(verified->sound());
  CHECK(verified->snapshots == 1);
  auto restored = StoreFixture::Restore(*store, s2, f.tmp.path() / "out");
  REQUIRE(restored.ok());
  CHECK(DiffTrees(two, f.tmp.path() / "out") == "");

  auto runs = ListGcRuns(store->catalog(), 10);
  REQUIRE(runs.ok());
  REQUIRE(runs->size() == 1);
  CHECK(runs->front().state == "done");
  CHECK(runs->front().next_prefix == 256);
  CHECK(runs->front().chunks_freed == garbage.size());
  CHECK(runs->front().bytes_freed == report->bytes_freed);
  CHECK(runs->front().finished_unix_ns.has_value());

  // Nothing left to free.
  auto again = RunLocalGc(*store);
  REQUIRE(again.ok());
  CHECK(again->chunks_freed == 0);
  CHECK_FALSE(again->resumed);
  CHECK(again->run_id != report->run_id);
}

TEST_CASE("GC never sweeps an unreferenced chunk newer than the cutoff (a backup in flight)",
          "[integration][gc]") {
  GcFixture f;
  const fs::path src = f.Source("inflight", 7);
  auto store = f.Open();
  // A backup that stops before its manifest: its chunks are on disk, named
  // by nothing -- as they are while a backup is still running.
  auto dir_source = DirectorySource::Open(src);
  REQUIRE(dir_source.ok());
  BackupRequest request;
  request.name = "inflight";
  request.TEST_fail_before_manifest = true;
  REQUIRE_FALSE(RunBackup(*store, **dir_source, request).ok());
  const std::set<ChunkId> written = ChunkFiles(f.dir);
  REQUIRE(written.size() > 10);

  auto report = RunLocalGc(*store);
  REQUIRE(report.ok());
  CHECK(report->chunks_freed == 0);
  CHECK(report->kept_recent == written.size());
  CHECK(ChunkFiles(f.dir) == written);

  // A zero grace puts the cutoff at the run's start: the same chunks, a
  // moment old, may go (this is what the grace protects against).
  GcOptions no_grace;
  no_grace.grace = std::chrono::seconds(0);
  FakeClock later(DefaultClock().NowUnixNanos() + 1'000'000'000);
  no_grace.clock = &later;
  auto swept = RunLocalGc(*store, no_grace);
  REQUIRE(swept.ok());
  CHECK(swept->chunks_freed == written.size());
  CHECK(ChunkFiles(f.dir).empty());
}

TEST_CASE(
    "GC running beside a backup in another thread never sweeps its chunks; the backup "
    "commits and verifies",
    "[integration][gc]") {
  GcFixture f;
  const fs::path old_src = f.Source("old", 100, 3);
  const fs::path keep_src = f.Source("keep", 200, 2);
  const fs::path new_src = f.Source("new", 300, 24, 256 * 1024);  // 6 MiB, ~400 chunks
  std::string kept, garbage_snapshot;
  std::set<ChunkId> garbage;
  {
    auto store = f.Open();
    garbage_snapshot = f.Backup(*store, old_src, "old");
    kept = f.Backup(*store, keep_src, "keep");
    garbage = ManifestChunks(*store, garbage_snapshot);
    DeleteSnapshot(*store, garbage_snapshot);
  }
  AgeChunkFiles(f.dir);

  // The collector has its own Store (its own catalog connection), as a
  // second process would; it runs over and over while the backup runs.
  auto gc_store = f.Open();
  std::atomic<bool> stop{false};
  std::uint64_t runs = 0, freed = 0;
  Status gc_error;
  std::thread collector([&] {
    while (!stop.load() || runs < 2) {
      auto r = RunLocalGc(*gc_store);
      if (!r.ok()) {
        gc_error = r.error();
        return;
      }
      ++runs;
      freed += r->chunks_freed;
    }
  });
  auto store = f.Open();
  auto backup = StoreFixture::Backup(*store, new_src, "new");
  stop = true;
  collector.join();
  INFO(gc_error.ToString());
  REQUIRE(gc_error.ok());
  REQUIRE(backup.ok());
  CHECK(runs >= 2);
  CHECK(freed == garbage.size());  // the old garbage went, nothing else

  auto verified = RunVerify(*store);
  REQUIRE(verified.ok());
  CHECK(verified->sound());
  CHECK(verified->snapshots == 2);
  auto restored = StoreFixture::Restore(*store, backup->snapshot_id, f.tmp.path() / "out");
  REQUIRE(restored.ok());
  CHECK(DiffTrees(new_src, f.tmp.path() / "out") == "");
  CHECK(ChunkFiles(f.dir) ==
        Union(ManifestChunks(*store, kept), ManifestChunks(*store, backup->snapshot_id)));
}

TEST_CASE("GC stops before removing anything when a manifest cannot be read", "[integration][gc]") {
  GcFixture f;
  auto store = f.Open();
  const std::string s1 = f.Backup(*store, f.Source("one", 1), "one");
  const std::string s2 = f.Backup(*store, f.Source("two", 10), "two");
  DeleteSnapshot(*store, s1);
  AgeChunkFiles(f.dir);
  const std::set<ChunkId> before = ChunkFiles(f.dir);
  // Damage the surviving snapshot's manifest.
  const fs::path manifest = store->ManifestPath("two", s2);
  {
    std::fstream file(manifest, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(40);
    char c = 0;
    file.read(&c, 1);
    c = static_cast<char>(~c);
    file.seekp(40);
    file.write(&c, 1);
  }
  auto report = RunLocalGc(*store);
  REQUIRE_FALSE(report.ok());
  CHECK(report.error().message().find("cannot read the manifest of snapshot two/" + s2) !=
        std::string::npos);
  CHECK(report.error().message().find("before removing anything") != std::string::npos);
  CHECK(ChunkFiles(f.dir) == before);
  auto runs = ListGcRuns(store->catalog(), 10);
  REQUIRE(runs.ok());
  REQUIRE(runs->size() == 1);
  CHECK(runs->front().state == "failed");
  CHECK(runs->front().chunks_freed == 0);
  // The next run starts afresh (a failed run is not resumed) and fails the
  // same way while the manifest stays damaged.
  auto again = RunLocalGc(*store);
  REQUIRE_FALSE(again.ok());
  CHECK(ChunkFiles(f.dir) == before);
}

TEST_CASE("GC keeps chunks an unfinished snapshot deletion still counts, until it finishes",
          "[integration][gc]") {
  GcFixture f;
  auto store = f.Open();
  const auto [s1, c1] = f.BackupSeeded(*store, "one", 1);
  // Steps 1 and 2 of the deletion, then a "crash": the manifest is gone but
  // the refcounts still count the snapshot.
  REQUIRE(store->catalog().BeginSnapshotDeletion(s1, DefaultClock().NowUnixNanos()).ok());
  REQUIRE(store->fs().RemoveFile(store->ManifestPath("one", s1)).ok());
  AgeChunkFiles(f.dir);
  auto report = RunLocalGc(*store);
  REQUIRE(report.ok());
  CHECK(report->snapshots_marked == 0);
  CHECK(report->chunks_freed == 0);
  CHECK(report->kept_referenced == c1.size());
  CHECK(ChunkFiles(f.dir) == c1);

  REQUIRE(
      store->catalog().FinishSnapshotDeletion(s1, std::vector<ChunkId>(c1.begin(), c1.end())).ok());
  auto after = RunLocalGc(*store);
  REQUIRE(after.ok());
  CHECK(after->chunks_freed == c1.size());
  CHECK(ChunkFiles(f.dir).empty());
}

TEST_CASE("GC sweeps a chunk file that has no catalog row and no manifest (a crash orphan)",
          "[integration][gc]") {
  GcFixture f;
  auto store = f.Open();
  const auto [s1, c1] = f.BackupSeeded(*store, "one", 1);
  DeleteSnapshot(*store, s1);
  // As if a previous GC deleted the rows and died before the unlinks.
  for (const ChunkId& id : c1) {
    auto row = DeleteChunkRowIfUnreferenced(store->catalog(), id);
    REQUIRE(row.ok());
    CHECK(*row == ChunkRowOutcome::kDeleted);
  }
  AgeChunkFiles(f.dir);
  auto report = RunLocalGc(*store);
  REQUIRE(report.ok());
  CHECK(report->chunks_freed == c1.size());
  CHECK(ChunkFiles(f.dir).empty());
}

TEST_CASE("GC removes old temporaries of crashed writers, not recent ones or this process's own",
          "[integration][gc]") {
  GcFixture f;
  auto store = f.Open();
  const std::string hex(64, 'a');
  const fs::path dir = f.dir / "chunks" / "aa";
  const std::string dead = hex + ".tmp-999999999-3-77";
  const std::string own = hex + ".tmp-" + std::to_string(::getpid()) + "-3-78";
  const std::string fresh = hex + ".tmp-999999999-3-79";
  for (const std::string& name : {dead, own, std::string("not-a-chunk"), fresh}) {
    std::ofstream(dir / name) << std::string(1000, 'x');
  }
  AgeChunkFiles(f.dir);
  fs::last_write_time(dir / fresh, fs::file_time_type::clock::now());
  auto report = RunLocalGc(*store);
  REQUIRE(report.ok());
  CHECK(report->temporaries_freed == 1);
  CHECK(report->bytes_freed == 1000);
  CHECK(report->chunks_freed == 0);
  CHECK_FALSE(fs::exists(dir / dead));
  CHECK(fs::exists(dir / own));
  CHECK(fs::exists(dir / fresh));
  CHECK(fs::exists(dir / "not-a-chunk"));
}

TEST_CASE("GC reports chunks that snapshots reference but the store lacks, and still completes",
          "[integration][gc]") {
  GcFixture f;
  auto store = f.Open();
  const auto [s1, c1] = f.BackupSeeded(*store, "one", 1);
  const ChunkId lost = *c1.begin();
  REQUIRE(fs::remove(store->ChunkPath(lost)));
  auto report = RunLocalGc(*store);
  REQUIRE(report.ok());
  CHECK(report->missing_count == 1);
  REQUIRE(report->missing.size() == 1);
  CHECK(report->missing[0] == lost.Hex() + " (snapshot one/" + s1 + ")");
  CHECK(report->chunks_freed == 0);
  // Its row is referenced: it stays (verify and quarantine deal with it).
  CHECK(store->catalog().GetChunk(lost).value().has_value());
}

TEST_CASE("GC deletes catalog rows no snapshot counts whose chunk file is gone",
          "[integration][gc]") {
  GcFixture f;
  auto store = f.Open();
  const auto [s1, c1] = f.BackupSeeded(*store, "one", 1);
  DeleteSnapshot(*store, s1);
  const ChunkId gone = *c1.begin();
  REQUIRE(fs::remove(store->ChunkPath(gone)));
  // Recent files: only the stale row may go.
  auto report = RunLocalGc(*store);
  REQUIRE(report.ok());
  CHECK(report->stale_rows_removed == 1);
  CHECK_FALSE(store->catalog().GetChunk(gone).value().has_value());
  CHECK(store->catalog().GetChunk(*std::next(c1.begin())).value().has_value());
}

TEST_CASE("A GC dry run reports what it would free and removes nothing", "[integration][gc]") {
  GcFixture f;
  auto store = f.Open();
  const auto [s1, c1] = f.BackupSeeded(*store, "one", 1);
  const auto [s2, c2] = f.BackupSeeded(*store, "two", 2);
  const std::set<ChunkId> before = ChunkFiles(f.dir);
  const std::set<ChunkId> expected = Minus(c1, c2);
  DeleteSnapshot(*store, s1);
  AgeChunkFiles(f.dir);
  GcOptions dry;
  dry.dry_run = true;
  auto report = RunLocalGc(*store, dry);
  REQUIRE(report.ok());
  CHECK(report->dry_run);
  CHECK(report->run_id == 0);
  CHECK(report->chunks_freed == expected.size());
  CHECK(ChunkFiles(f.dir) == before);
  CHECK(ListGcRuns(store->catalog(), 10)->empty());
  auto real = RunLocalGc(*store);
  REQUIRE(real.ok());
  CHECK(real->chunks_freed == expected.size());
  CHECK(real->bytes_freed == report->bytes_freed);
}

TEST_CASE("A cancelled GC stops and the next run resumes it", "[integration][gc]") {
  GcFixture f;
  auto store = f.Open();
  const auto [s1, c1] = f.BackupSeeded(*store, "one", 1);
  const std::size_t garbage = c1.size();
  DeleteSnapshot(*store, s1);
  AgeChunkFiles(f.dir);
  std::atomic<bool> cancel{true};
  GcOptions options;
  options.cancel = &cancel;
  auto cancelled = RunLocalGc(*store, options);
  REQUIRE_FALSE(cancelled.ok());
  CHECK(cancelled.error().IsCancelled());
  auto running = FindRunningGcRun(store->catalog());
  REQUIRE(running.ok());
  REQUIRE(running->has_value());
  cancel = false;
  auto resumed = RunLocalGc(*store, options);
  REQUIRE(resumed.ok());
  CHECK(resumed->resumed);
  CHECK(resumed->run_id == (*running)->id);
  CHECK(resumed->chunks_freed == garbage);
}

TEST_CASE("GC's store lock is refused while a backup holds the store, and keeps backups out",
          "[unit][gc]") {
  TempDir dir;
  {
    auto backup = StoreLock::TryAcquire(dir.path(), StoreLockMode::kShared);
    REQUIRE(backup.ok());
    auto gc = LockStoreForGc(dir.path());
    REQUIRE_FALSE(gc.ok());
    CHECK(gc.error().retryable());
    const std::string& message = gc.error().message();
    CHECK(message.find("in use by a backup or a running appliance (pid " +
                       std::to_string(::getpid())) != std::string::npos);
    CHECK(message.find("run gc through the appliance, or when the backup finishes") !=
          std::string::npos);
  }
  auto gc = LockStoreForGc(dir.path());
  REQUIRE(gc.ok());
  CHECK_FALSE(StoreLock::TryAcquire(dir.path(), StoreLockMode::kShared).ok());
}

}  // namespace
}  // namespace cairn
