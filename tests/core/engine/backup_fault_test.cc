// Crash-consistency of a backup: fail each filesystem operation in turn (and
// each catalog statement in turn), simulate a power cut, reopen, and check
// that nothing torn is visible -- every chunk file authenticates, every
// manifest on disk names only durable chunks, the catalog lists a snapshot
// only when it is complete.
#include "core/base/fault_injection_fs.h"
#include "core/engine/verify.h"
#include "core/store/chunk_reader.h"
#include "tests/core/engine/engine_test_util.h"
#include "tests/support/sample_tree.h"

namespace cairn {
namespace {

// Every chunk file authenticates; every manifest file reads and all of its
// chunks are present and sound.
void CheckNothingTorn(Store& store) {
  ChunkReader reader(store);
  std::size_t chunk_files = 0;
  for (auto& p : fs::recursive_directory_iterator(store.dir() / "chunks")) {
    if (!p.is_regular_file()) continue;
    std::string name = p.path().filename().string();
    INFO("chunk file " << p.path());
    REQUIRE(name.find(".tmp-") == std::string::npos);  // temporaries never survive a crash
    auto id = ChunkId::FromHex(name);
    REQUIRE(id);
    auto r = reader.Read(*id);
    CHECK(r.ok());
    ++chunk_files;
  }
  for (auto& p : fs::recursive_directory_iterator(store.dir() / "snapshots")) {
    if (!p.is_regular_file()) continue;
    INFO("manifest " << p.path());
    auto m = store.ReadManifest(p.path().parent_path().filename().string(),
                                p.path().filename().string());
    REQUIRE(m.ok());
    for (const TreeEntry& e : m->entries) {
      for (const ChunkSlice& s : e.content) CHECK(reader.Read(s.id).ok());
    }
  }
  (void)chunk_files;
}

TEST_CASE("Backup fail matrix: a crash at any filesystem step leaves no torn chunk, manifest "
          "or snapshot", "[integration][fault]") {
  StoreFixture f;
  fs::create_directories(f.src / "d");
  WriteSeededFile(f.src / "d" / "big.bin", 700 * 1024, 5);
  WriteSeededFile(f.src / "d" / "log.txt", 300 * 1024, 6, true);
  for (int i = 0; i < 5; ++i) WriteSeededFile(f.src / ("small-" + std::to_string(i)), 900, 10 + i);

  FaultInjectionFs faulty(DefaultFileSystem());
  int failures = 0;
  bool succeeded = false;
  for (int n = 0; n < 400 && !succeeded; ++n) {
    Status s;
    {
      auto store = f.Open(faulty);
      faulty.FailAfter(n);
      auto r = StoreFixture::Backup(*store, f.src);
      s = r.status();
      REQUIRE(faulty.SimulateCrash().ok());
    }
    auto store = f.Open();
    auto snaps = store->catalog().ListSnapshots();
    REQUIRE(snaps.ok());
    INFO("failure injected at operation " << n << ": " << s.ToString());
    CheckNothingTorn(*store);
    if (s.ok()) {
      succeeded = true;
      CHECK(snaps->size() == 1);
    } else {
      ++failures;
      CHECK(snaps->empty());
    }
  }
  REQUIRE(succeeded);
  // Operation n failed at attempt n until a backup got through: chunk
  // temporaries, the syncfs, renames, directory syncs and the manifest each
  // failed in turn (fewer than a clean backup's count, because chunks durable
  // from earlier attempts are reused rather than written again).
  CHECK(failures >= 15);
  auto store = f.Open();
  auto report = RunVerify(*store, 2);
  REQUIRE(report.ok());
  CHECK(report->sound());
  REQUIRE(StoreFixture::Restore(*store, "latest", f.tmp.path() / "out").ok());
  CHECK(DiffTrees(f.src, f.tmp.path() / "out") == "");
}

TEST_CASE("Backup fail matrix: a catalog commit failing at any statement shows no snapshot",
          "[integration][fault]") {
  StoreFixture f;
  MakeSampleTree(f.src, 3);
  auto store = f.Open();
  bool succeeded = false;
  for (int n = 0; n < 500 && !succeeded; ++n) {
    store->catalog().TEST_FailCommitAfterStatements(n);
    auto r = StoreFixture::Backup(*store, f.src);
    auto snaps = store->catalog().ListSnapshots();
    REQUIRE(snaps.ok());
    if (r.ok()) {
      succeeded = true;
      CHECK(snaps->size() == 1);
    } else {
      CHECK(snaps->empty());
    }
  }
  store->catalog().TEST_FailCommitAfterStatements(-1);
  REQUIRE(succeeded);
  auto report = RunVerify(*store, 2);
  REQUIRE(report.ok());
  CHECK(report->sound());
}

TEST_CASE("Backup: a failure before the manifest leaves the previous snapshot as latest",
          "[integration][fault]") {
  StoreFixture f;
  MakeSampleTree(f.src, 4);
  auto store = f.Open();
  auto first = StoreFixture::Backup(*store, f.src);
  REQUIRE(first.ok());
  WriteSeededFile(f.src / "new-file", 5000, 77);
  auto source = DirectorySource::Open(f.src);
  REQUIRE(source.ok());
  BackupRequest request;
  request.name = "t";
  request.TEST_fail_before_manifest = true;
  auto failed = RunBackup(*store, **source, request);
  REQUIRE_FALSE(failed.ok());
  auto latest = store->catalog().LatestSnapshot(std::string("t"));
  REQUIRE(latest.ok());
  REQUIRE(latest->has_value());
  CHECK((*latest)->id == first->snapshot_id);
  // The chunks it wrote are reused by the next backup, not written again.
  auto next = StoreFixture::Backup(*store, f.src);
  REQUIRE(next.ok());
  CHECK(next->figures.bytes_stored == 0);
}

}  // namespace
}  // namespace cairn
