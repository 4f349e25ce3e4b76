#include <catch2/catch.hpp>

#include <chrono>

#include "core/engine/catalog_rebuild.h"
#include "sync/target/replica_layout.h"
#include "tests/sync/engine/replication_test_util.h"

namespace cairn {
namespace {

const std::atomic<bool> kNoStop{false};

TEST_CASE("TargetReplicator: a pass copies every snapshot, manifest last, and the replica opens as a store",
          "[integration]") {
  ReplicationFixture f;
  const std::string a = f.BackupFiles("web", 3, 600'000, 1);
  const std::string b = f.BackupFiles("db", 2, 900'000, 2);
  REQUIRE(f.catalog->AddTarget(f.Spec()).ok());
  TargetReplicator r(f.Spec(), UnsharedLocalStore(*f.store), *f.catalog, f.Factory(), DefaultClock());

  auto pending = r.Pending();
  REQUIRE(pending.ok());
  CHECK(pending->size() == 2);
  auto pass = r.RunPass(false, kNoStop);
  INFO((pass.ok() ? "" : pass.error().ToString()));
  REQUIRE(pass.ok());
  CHECK(pass->complete);
  CHECK(pass->snapshots_replicated == 2);
  CHECK(r.Pending()->empty());

  // Each snapshot's manifest came after all of its chunks.
  {
    std::lock_guard lock(f.log.mu);
    CHECK(f.log.order.front() == "config");
    for (const std::string& id : {a, b}) {
      auto snap = f.store->catalog().FindSnapshot(id);
      REQUIRE(snap.ok());
      auto manifest = f.store->ReadManifest(snap->name, id);
      REQUIRE(manifest.ok());
      const auto manifest_at = std::find(f.log.order.begin(), f.log.order.end(),
                                         ReplicaManifestKey(snap->name, id));
      REQUIRE(manifest_at != f.log.order.end());
      for (const TreeEntry& e : manifest->entries) {
        for (const ChunkSlice& s : e.content) {
          CHECK(std::find(f.log.order.begin(), manifest_at, ReplicaChunkKey(s.id)) != manifest_at);
        }
      }
    }
  }

  // The replica is a store: the key file opens it, the catalog rebuilds,
  // and a snapshot restores bit-for-bit.
  auto replica = Store::Open(DefaultFileSystem(), f.replica, KeySource{f.key, std::nullopt}, true);
  REQUIRE(replica.ok());
  auto rebuilt = RebuildCatalog(**replica);
  REQUIRE(rebuilt.ok());
  CHECK(rebuilt->snapshots == 2);
  CHECK(rebuilt->missing_chunks.empty());
  auto restored = StoreFixture::Restore(**replica, a, f.tmp.path() / "out");
  REQUIRE(restored.ok());
  CHECK(DiffTrees(f.tmp.path() / "src-web1", f.tmp.path() / "out") == "");

  // Nothing is pending, so a second pass sends nothing at all.
  const int puts_before = f.log.total;
  auto again = r.RunPass(false, kNoStop);
  REQUIRE(again.ok());
  CHECK(again->bytes_sent == 0);
  CHECK(f.log.total == puts_before);
}

TEST_CASE("TargetReplicator: an incremental snapshot sends only its new chunks", "[integration]") {
  ReplicationFixture f;
  const fs::path src = f.tmp.path() / "tree";
  fs::create_directories(src);
  for (int i = 0; i < 8; ++i) WriteSeededFile(src / ("f" + std::to_string(i)), 1'000'000, 40 + i);
  REQUIRE(StoreFixture::Backup(*f.store, src, "tree").ok());
  REQUIRE(f.catalog->AddTarget(f.Spec()).ok());
  TargetReplicator r(f.Spec(), UnsharedLocalStore(*f.store), *f.catalog, f.Factory(), DefaultClock());
  REQUIRE(r.RunPass(false, kNoStop).ok());

  WriteSeededFile(src / "f3", 1'000'000, 999);  // one file of eight changes
  auto second = StoreFixture::Backup(*f.store, src, "tree");
  REQUIRE(second.ok());
  auto pass = r.RunPass(false, kNoStop);
  REQUIRE(pass.ok());
  CHECK(pass->snapshots_replicated == 1);
  CHECK(pass->chunks_sent == second->figures.chunks_new);
  // Bytes sent = the new chunks as stored + the manifest; nothing else.
  CHECK(pass->bytes_sent == second->figures.bytes_stored + second->manifest_bytes);
}

TEST_CASE("TargetReplicator: a cut mid-pass resumes without resending what arrived", "[integration][fault]") {
  for (int streams : {1, 4}) {
    DYNAMIC_SECTION("streams " << streams) {
      ReplicationFixture f;
      f.BackupFiles("big", 12, 700'000, 7);
      REQUIRE(f.catalog->AddTarget(f.Spec(streams)).ok());
      std::size_t chunks_total = 0;
      {
        TargetReplicator r(f.Spec(streams), UnsharedLocalStore(*f.store), *f.catalog, f.Factory(),
                           DefaultClock());
        f.log.fail_after = 6;  // the link goes down after the config and a few chunks
        auto cut = r.RunPass(false, kNoStop);
        REQUIRE_FALSE(cut.ok());
        CHECK(cut.error().retryable());
        CHECK(r.Pending()->size() == 1);  // no manifest yet: not on the target
        CHECK_FALSE(fs::exists(f.replica / "snapshots"));
        // Link back, same process.
        f.log.fail_after = -1;
        auto resumed = r.RunPass(false, kNoStop);
        REQUIRE(resumed.ok());
        CHECK(resumed->complete);
        chunks_total = resumed->chunks_sent + resumed->chunks_already_there;
      }
      INFO("chunk puts " << f.ChunkPuts() << " for " << chunks_total << " chunks");
      // Only the chunk whose acknowledgement was lost at the cut goes twice.
      CHECK(f.ChunksPutTwice() <= 1);
      CHECK(f.ChunkPuts() <= chunks_total + static_cast<std::size_t>(streams));
    }
  }
}

TEST_CASE("TargetReplicator: after a restart the catalog's record avoids resending", "[integration][fault]") {
  ReplicationFixture f;
  f.BackupFiles("big", 10, 700'000, 9);
  REQUIRE(f.catalog->AddTarget(f.Spec(3)).ok());
  {
    TargetReplicator first(f.Spec(3), UnsharedLocalStore(*f.store), *f.catalog, f.Factory(), DefaultClock());
    f.log.fail_after = 5;
    REQUIRE_FALSE(first.RunPass(false, kNoStop).ok());
  }
  f.log.fail_after = -1;
  // A new replicator (a restarted appliance) knows only the catalog.
  TargetReplicator second(f.Spec(3), UnsharedLocalStore(*f.store), *f.catalog, f.Factory(), DefaultClock());
  auto pass = second.RunPass(false, kNoStop);
  REQUIRE(pass.ok());
  CHECK(pass->chunks_already_there >= 3);
  CHECK(f.ChunksPutTwice() <= 1);
}

TEST_CASE("TargetReplicator: a target that already holds chunks is inventoried, not re-sent", "[integration]") {
  ReplicationFixture f;
  f.BackupFiles("web", 4, 500'000, 3);
  // Another appliance seeded the replica with this store's chunks.
  fs::copy(f.dir / "chunks", f.replica / "chunks", fs::copy_options::recursive);
  REQUIRE(f.catalog->AddTarget(f.Spec()).ok());
  TargetReplicator r(f.Spec(), UnsharedLocalStore(*f.store), *f.catalog, f.Factory(), DefaultClock());
  auto pass = r.RunPass(false, kNoStop);
  REQUIRE(pass.ok());
  CHECK(pass->chunks_sent == 0);
  CHECK(pass->chunks_already_there > 0);
  CHECK(pass->snapshots_replicated == 1);
}

TEST_CASE("TargetReplicator: order newest-first and oldest-first", "[integration]") {
  for (auto order : {ReplicationOrder::kOldestFirst, ReplicationOrder::kNewestFirst}) {
    ReplicationFixture f;
    FakeClock clock;
    const std::string old_id = f.BackupFiles("a", 1, 1000, 1, clock);
    clock.Advance(3'600'000'000'000);
    const std::string new_id = f.BackupFiles("a", 1, 1000, 2, clock);
    TargetSpec spec = f.Spec();
    spec.policy.order = order;
    REQUIRE(f.catalog->AddTarget(spec).ok());
    TargetReplicator r(spec, UnsharedLocalStore(*f.store), *f.catalog, f.Factory(), DefaultClock());
    REQUIRE(r.RunPass(false, kNoStop).ok());
    std::vector<std::string> manifests;
    for (const std::string& k : f.log.order) {
      if (k.starts_with("snapshots/")) manifests.push_back(k.substr(k.rfind('/') + 1));
    }
    const std::vector<std::string> want = order == ReplicationOrder::kOldestFirst
                                              ? std::vector<std::string>{old_id, new_id}
                                              : std::vector<std::string>{new_id, old_id};
    CHECK(manifests == want);
  }
}

TEST_CASE("TargetReplicator: outside its time window a pass sends nothing", "[integration]") {
  ReplicationFixture f;
  f.BackupFiles("a", 1, 1000, 1);
  TargetSpec spec = f.Spec();
  FakeClock clock(1'700'000'000'000'000'000);  // 22:13 UTC
  spec.policy.windows = {*ParseTimeWindow("01:00-05:00")};
  REQUIRE(f.catalog->AddTarget(spec).ok());
  TargetReplicator r(spec, UnsharedLocalStore(*f.store), *f.catalog, f.Factory(), clock);
  auto pass = r.RunPass(false, kNoStop);
  REQUIRE(pass.ok());
  CHECK_FALSE(pass->complete);
  CHECK(pass->stopped_early.find("window") != std::string::npos);
  CHECK(pass->snapshots_replicated == 0);
  CHECK(InReplicationWindow(spec.policy, 1'700'000'000'000'000'000 + 3 * 3'600'000'000'000) );
}

TEST_CASE("TargetReplicator: the bandwidth limit is honoured", "[integration][slow]") {
  ReplicationFixture f;
  f.BackupFiles("bw", 3, 1'000'000, 5);  // ~3 MB incompressible
  TargetSpec spec = f.Spec(4);
  spec.policy.bandwidth_limit = 1'000'000;  // 1 MB/s
  REQUIRE(f.catalog->AddTarget(spec).ok());
  TargetReplicator r(spec, UnsharedLocalStore(*f.store), *f.catalog, f.Factory(), DefaultClock());
  const auto t0 = std::chrono::steady_clock::now();
  auto pass = r.RunPass(false, kNoStop);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  REQUIRE(pass.ok());
  const double rate = static_cast<double>(pass->bytes_sent) / seconds;
  INFO("sent " << pass->bytes_sent << " bytes in " << seconds << " s = " << rate << " B/s");
  // At most the limit plus the initial burst (a quarter second) over the run.
  CHECK(static_cast<double>(pass->bytes_sent) <= 1'000'000 * seconds + 250'000 + 1);
  CHECK(seconds >= 2.0);
}

}  // namespace
}  // namespace cairn
