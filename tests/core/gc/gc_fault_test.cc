// Garbage collection under failure: a run stopped by an I/O error resumes
// where it stopped with its cutoff, and a crash at any filesystem step loses
// no referenced chunk and leaves nothing a rerun cannot finish.
#include <unistd.h>

#include "core/base/fault_injection_fs.h"
#include "core/engine/verify.h"
#include "core/gc/gc_runs.h"
#include "tests/core/gc/gc_test_util.h"

namespace cairn {
namespace {

// A store with a live snapshot, the garbage of a deleted one spread over
// many chunk directories (some chunks shared), and an old temporary left by a
// dead writer; every file older than GC's cutoff.
struct GarbageStore {
  GcFixture f;
  std::set<ChunkId> live, garbage;
  std::string survivor;

  explicit GarbageStore(int files = 3, std::uint64_t size = 200 * 1024) {
    auto store = f.Open();
    const std::string doomed = f.Backup(*store, f.Source("doomed", 1, files, size), "doomed");
    // Shares the doomed snapshot's last file.
    survivor = f.Backup(*store, f.Source("survivor", files, 2, size), "survivor");
    live = ManifestChunks(*store, survivor);
    garbage = Minus(ManifestChunks(*store, doomed), live);
    DeleteSnapshot(*store, doomed);
    const ChunkId some = *live.begin();
    fs::copy_file(store->ChunkPath(some),
                  fs::path(store->ChunkPath(some).string() + ".tmp-999999999-0-1"));
  }
};

// What must hold after any crash: the surviving snapshot is whole, and every
// catalog row has its file (a row without one would let a backup
// deduplicate against nothing).
void CheckNothingLost(Store& store, const std::set<ChunkId>& live) {
  auto verified = RunVerify(store);
  REQUIRE(verified.ok());
  CHECK(verified->sound());
  CHECK(verified->snapshots == 1);
  for (const ChunkId& id : live) CHECK(fs::exists(store.ChunkPath(id)));
  auto ids = store.catalog().AllChunkIds();
  REQUIRE(ids.ok());
  for (const ChunkId& id : *ids) {
    INFO("catalog row " << id.Hex());
    CHECK(fs::exists(store.ChunkPath(id)));
  }
}

// A fresh copy of the store at `to`, without its empty chunk directories
// (GC takes a missing one as empty): removing a directory costs ~4 ms here,
// and the fail matrix copies the store once per step.
void CopyStore(const fs::path& from, const fs::path& to) {
  fs::remove_all(to);
  fs::create_directories(to / "chunks");
  for (auto& entry : fs::directory_iterator(from)) {
    const fs::path name = entry.path().filename();
    if (name != "chunks") fs::copy(entry.path(), to / name, fs::copy_options::recursive);
  }
  for (auto& entry : fs::directory_iterator(from / "chunks")) {
    if (!fs::is_empty(entry.path())) {
      fs::copy(entry.path(), to / "chunks" / entry.path().filename(), fs::copy_options::recursive);
    }
  }
}

TEST_CASE("GC interrupted by an I/O error resumes from its next prefix with the same cutoff",
          "[integration][gc][fault]") {
  GarbageStore g(5, 300 * 1024);
  REQUIRE(g.garbage.size() > 60);
  AgeChunkFiles(g.f.dir);
  FaultInjectionFs faulty(DefaultFileSystem());
  GcRun interrupted;
  {
    auto store = g.f.Open(faulty);
    faulty.FailAfter(12);  // removals and directory syncs: a few directories in
    auto report = RunLocalGc(*store);
    REQUIRE_FALSE(report.ok());
    CHECK(report.error().message().find("the next run resumes there") != std::string::npos);
    REQUIRE(faulty.SimulateCrash().ok());
    auto running = FindRunningGcRun(store->catalog());
    REQUIRE(running.ok());
    REQUIRE(running->has_value());
    interrupted = **running;
  }
  CHECK(interrupted.next_prefix > 0);
  CHECK(interrupted.next_prefix < 256);
  CHECK(interrupted.chunks_freed > 0);
  CHECK(interrupted.chunks_freed < g.garbage.size());
  CHECK(interrupted.detail.find("interrupted in chunks/") != std::string::npos);

  auto store = g.f.Open();
  CheckNothingLost(*store, g.live);
  // Hours later: a fresh run would compute a later cutoff; the resumed one
  // keeps its own.
  FakeClock later(DefaultClock().NowUnixNanos() + 5ll * 3600 * 1'000'000'000);
  GcOptions options;
  options.clock = &later;
  auto resumed = RunLocalGc(*store, options);
  REQUIRE(resumed.ok());
  CHECK(resumed->resumed);
  CHECK(resumed->run_id == interrupted.id);
  CHECK(resumed->cutoff_unix_ns == interrupted.cutoff_unix_ns);
  CHECK(resumed->started_unix_ns == interrupted.started_unix_ns);
  CHECK(resumed->first_prefix == interrupted.next_prefix);
  CHECK(resumed->chunks_freed == g.garbage.size());
  CHECK(ChunkFiles(g.f.dir) == g.live);
  CHECK(CountTemporaries(g.f.dir) == 0);
  auto runs = ListGcRuns(store->catalog(), 10);
  REQUIRE(runs.ok());
  REQUIRE(runs->size() == 1);
  CHECK(runs->front().state == "done");
  CHECK(runs->front().chunks_freed == g.garbage.size());
}

TEST_CASE(
    "GC fail matrix: a crash at any filesystem step loses no referenced chunk, and a rerun "
    "frees exactly the garbage",
    "[integration][gc][fault]") {
  GarbageStore g;
  const fs::path work = g.f.tmp.path() / "work";
  FaultInjectionFs faulty(DefaultFileSystem());
  bool succeeded = false;
  int failures = 0;
  for (int n = 0; n < 1000 && !succeeded; ++n) {
    CopyStore(g.f.dir, work);
    AgeChunkFiles(work);  // copies are new files
    Status s;
    {
      auto store = g.f.Open(faulty, work);
      faulty.FailAfter(n);
      s = RunLocalGc(*store).status();
      REQUIRE(faulty.SimulateCrash().ok());
    }
    INFO("failure injected at operation " << n << ": " << s.ToString());
    auto store = g.f.Open(DefaultFileSystem(), work);
    CheckNothingLost(*store, g.live);
    if (s.ok()) {
      succeeded = true;
    } else {
      ++failures;
    }
    auto rerun = RunLocalGc(*store);
    REQUIRE(rerun.ok());
    // The interrupted run resumed, its totals exact; or a new run, nothing left.
    CHECK(rerun->resumed == !s.ok());
    CHECK(rerun->chunks_freed == (s.ok() ? 0 : g.garbage.size()));
    CHECK(ChunkFiles(work) == g.live);
    CHECK(CountTemporaries(work) == 0);
    CheckNothingLost(*store, g.live);
  }
  REQUIRE(succeeded);
  // Every removal and every directory sync failed once.
  CHECK(failures > static_cast<int>(g.garbage.size()));
}

}  // namespace
}  // namespace cairn
