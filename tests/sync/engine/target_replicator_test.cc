#include <catch2/catch.hpp>

#include <chrono>

#include "core/base/utc_time.h"
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

// ---- retention locks (issue 6) --------------------------------------------

constexpr std::int64_t kDay = 86'400;

std::int64_t NowSeconds() { return DefaultClock().NowUnixNanos() / kNanosPerSecond; }

TEST_CASE(
    "TargetReplicator: a locked snapshot's manifest and every chunk carry its lock as "
    "retain-until, an unlocked snapshot's carry none",
    "[integration]") {
  ReplicationFixture f;
  const std::string unlocked = f.BackupFiles("web", 2, 300'000, 1);
  const std::string locked = f.BackupFiles("db", 3, 300'000, 2);
  // A lock that is not a whole second is rounded up: never retained for less.
  const std::int64_t until = NowSeconds() + 10 * kDay;
  f.LockSnapshot(locked, until * kNanosPerSecond - 250'000'000);
  REQUIRE(f.catalog->AddTarget(f.S3Spec()).ok());
  TargetReplicator r(f.S3Spec(), UnsharedLocalStore(*f.store), *f.catalog, f.Factory(), DefaultClock());
  auto pass = r.RunPass(/*supports_locks=*/true, kNoStop);
  INFO((pass.ok() ? "" : pass.error().ToString()));
  REQUIRE(pass.ok());
  CHECK(pass->snapshots_replicated == 2);

  std::lock_guard lock(f.log.mu);
  CHECK(f.log.put_retain.at(f.ManifestKeyOf(locked)) == until);
  for (const ChunkId& id : f.ChunksOf(locked)) {
    INFO(id.Hex());
    CHECK(f.log.put_retain.at(ReplicaChunkKey(id)) == until);
  }
  CHECK_FALSE(f.log.put_retain.at(f.ManifestKeyOf(unlocked)).has_value());
  for (const ChunkId& id : f.ChunksOf(unlocked)) {
    CHECK_FALSE(f.log.put_retain.at(ReplicaChunkKey(id)).has_value());
  }
  CHECK_FALSE(f.log.put_retain.at("config").has_value());
  CHECK(f.log.extended.empty());

  // Recorded: the copy's lock, and each chunk's retain-until.
  auto held = f.catalog->ReplicatedSnapshots("dr");
  REQUIRE(held.ok());
  for (const ReplicatedSnapshot& h : *held) {
    CHECK(h.lock_until_unix_ns ==
          (h.snapshot_id == locked ? until * kNanosPerSecond - 250'000'000 : 0));
  }
  auto known = f.catalog->KnownChunks("dr");
  REQUIRE(known.ok());
  for (const ChunkId& id : f.ChunksOf(locked)) CHECK(known->at(id) == until * kNanosPerSecond);
  for (const ChunkId& id : f.ChunksOf(unlocked)) CHECK(known->at(id) == 0);
}

TEST_CASE("TargetReplicator: without Object Lock on the bucket, or to a directory, no retention is asked",
          "[integration]") {
  for (bool s3 : {true, false}) {
    ReplicationFixture f;
    const std::string id = f.BackupFiles("db", 2, 300'000, 2);
    f.LockSnapshot(id, (NowSeconds() + kDay) * kNanosPerSecond);
    const TargetSpec spec = s3 ? f.S3Spec() : f.Spec();
    REQUIRE(f.catalog->AddTarget(spec).ok());
    TargetReplicator r(spec, UnsharedLocalStore(*f.store), *f.catalog, f.Factory(), DefaultClock());
    // S3: the probe found no Object Lock; directory: it claims locks, but
    // only S3 has them.
    REQUIRE(r.RunPass(/*supports_locks=*/!s3, kNoStop).ok());
    std::lock_guard lock(f.log.mu);
    CHECK(f.log.put_retain.size() > 2);
    for (const auto& [key, retain] : f.log.put_retain) {
      INFO(key);
      CHECK_FALSE(retain.has_value());
    }
  }
}

TEST_CASE(
    "TargetReplicator: a second snapshot locked longer extends the retention of the chunks it "
    "shares with the first, and records it",
    "[integration]") {
  ReplicationFixture f;
  const fs::path src = f.tmp.path() / "shared";
  fs::create_directories(src);
  for (int i = 0; i < 3; ++i) WriteSeededFile(src / ("f" + std::to_string(i)), 400'000, 40 + i);
  const std::string first = f.BackupDir("app", src);
  const std::int64_t first_until = NowSeconds() + 7 * kDay;
  f.LockSnapshot(first, first_until * kNanosPerSecond);
  REQUIRE(f.catalog->AddTarget(f.S3Spec()).ok());
  TargetReplicator r(f.S3Spec(), UnsharedLocalStore(*f.store), *f.catalog, f.Factory(), DefaultClock());
  REQUIRE(r.RunPass(true, kNoStop).ok());

  WriteSeededFile(src / "new", 300'000, 99);
  const std::string second = f.BackupDir("app", src);
  const std::int64_t second_until = NowSeconds() + 30 * kDay;
  f.LockSnapshot(second, second_until * kNanosPerSecond);
  // A third, locked shorter than the first: its shared chunks are left as they are.
  const std::string third = f.BackupDir("app", src);
  f.LockSnapshot(third, (NowSeconds() + kDay) * kNanosPerSecond);

  auto pass = r.RunPass(true, kNoStop);
  INFO((pass.ok() ? "" : pass.error().ToString()));
  REQUIRE(pass.ok());
  CHECK(pass->snapshots_replicated == 2);
  const std::vector<ChunkId> first_chunks = f.ChunksOf(first);
  std::size_t shared_count = 0;
  for (const ChunkId& id : f.ChunksOf(second)) {
    shared_count += std::count(first_chunks.begin(), first_chunks.end(), id);
  }
  REQUIRE(shared_count > 0);
  CHECK(pass->retentions_extended == shared_count);
  auto known = f.catalog->KnownChunks("dr");
  REQUIRE(known.ok());
  std::lock_guard lock(f.log.mu);
  for (const ChunkId& id : f.ChunksOf(second)) {
    const std::string key = ReplicaChunkKey(id);
    INFO(key);
    CHECK(known->at(id) == second_until * kNanosPerSecond);
    const bool shared = std::find(first_chunks.begin(), first_chunks.end(), id) != first_chunks.end();
    if (shared) {
      // Extended once, not sent again, never shortened by the third.
      CHECK(f.log.puts.at(key) == 1);
      CHECK(f.log.extended.at(key) == std::vector<std::int64_t>{second_until});
    } else {
      CHECK(f.log.put_retain.at(key) == second_until);
      CHECK_FALSE(f.log.extended.contains(key));
    }
  }
  CHECK(f.log.put_retain.at(f.ManifestKeyOf(second)) == second_until);
}

TEST_CASE(
    "TargetReplicator: a lock extended after replication sends the rewritten manifest with the "
    "new date, extends its chunks and records the lock",
    "[integration]") {
  ReplicationFixture f;
  const std::string id = f.BackupFiles("db", 3, 300'000, 7);
  const std::int64_t until = NowSeconds() + 7 * kDay;
  f.LockSnapshot(id, until * kNanosPerSecond);
  REQUIRE(f.catalog->AddTarget(f.S3Spec()).ok());
  TargetReplicator r(f.S3Spec(), UnsharedLocalStore(*f.store), *f.catalog, f.Factory(), DefaultClock());
  REQUIRE(r.RunPass(true, kNoStop).ok());
  auto queue = r.ReadQueue();
  REQUIRE(queue.ok());
  CHECK(queue->pending.empty());
  CHECK(queue->locks.empty());

  const std::int64_t later = NowSeconds() + 90 * kDay;
  f.LockSnapshot(id, later * kNanosPerSecond);
  queue = r.ReadQueue();
  REQUIRE(queue.ok());
  CHECK(queue->pending.empty());  // held: not part of the RPO
  REQUIRE(queue->locks.size() == 1);
  CHECK(queue->locks[0].id == id);

  auto pass = r.RunPass(true, kNoStop);
  INFO((pass.ok() ? "" : pass.error().ToString()));
  REQUIRE(pass.ok());
  CHECK(pass->complete);
  CHECK(pass->locks_extended == 1);
  CHECK(pass->snapshots_replicated == 0);
  CHECK(pass->chunks_sent == 0);
  const std::vector<ChunkId> chunks = f.ChunksOf(id);
  CHECK(pass->retentions_extended == chunks.size());
  {
    std::lock_guard lock(f.log.mu);
    const std::string manifest_key = f.ManifestKeyOf(id);
    CHECK(f.log.puts.at(manifest_key) == 2);
    CHECK(f.log.put_retain.at(manifest_key) == later);
    for (const ChunkId& c : chunks) {
      CHECK(f.log.puts.at(ReplicaChunkKey(c)) == 1);
      CHECK(f.log.extended.at(ReplicaChunkKey(c)) == std::vector<std::int64_t>{later});
    }
  }
  // The replica holds the rewritten manifest: it carries the new lock.
  auto sent = ReadWholeFile(DefaultFileSystem(), f.replica / f.ManifestKeyOf(id), 64 << 20);
  auto local = ReadWholeFile(DefaultFileSystem(), f.dir / f.ManifestKeyOf(id), 64 << 20);
  REQUIRE(sent.ok());
  REQUIRE(local.ok());
  CHECK(*sent == *local);
  auto held = f.catalog->ReplicatedSnapshots("dr");
  REQUIRE(held.ok());
  REQUIRE(held->size() == 1);
  CHECK((*held)[0].lock_until_unix_ns == later * kNanosPerSecond);
  CHECK(r.ReadQueue()->locks.empty());
  // Nothing left: a further pass sends nothing.
  const int total = f.log.total;
  REQUIRE(r.RunPass(true, kNoStop).ok());
  CHECK(f.log.total == total);
}

TEST_CASE("TargetReplicator: to a directory target an extended lock is recorded, nothing is sent",
          "[integration]") {
  ReplicationFixture f;
  const std::string id = f.BackupFiles("db", 2, 300'000, 8);
  REQUIRE(f.catalog->AddTarget(f.Spec()).ok());
  TargetReplicator r(f.Spec(), UnsharedLocalStore(*f.store), *f.catalog, f.Factory(), DefaultClock());
  REQUIRE(r.RunPass(false, kNoStop).ok());
  const int total = f.log.total;
  const std::int64_t until = (NowSeconds() + 5 * kDay) * kNanosPerSecond;
  f.LockSnapshot(id, until);
  REQUIRE(r.ReadQueue()->locks.size() == 1);
  auto pass = r.RunPass(false, kNoStop);
  REQUIRE(pass.ok());
  CHECK(pass->locks_extended == 1);
  CHECK(f.log.total == total);
  CHECK(f.log.extended.empty());
  CHECK(f.catalog->ReplicatedSnapshots("dr")->at(0).lock_until_unix_ns == until);
  CHECK(r.ReadQueue()->locks.empty());
}

TEST_CASE("TargetReplicator: a chunk the catalog records but the target lost is sent again, locked",
          "[integration][fault]") {
  ReplicationFixture f;
  const std::string first = f.BackupFiles("db", 2, 300'000, 9);
  REQUIRE(f.catalog->AddTarget(f.S3Spec()).ok());
  TargetReplicator r(f.S3Spec(), UnsharedLocalStore(*f.store), *f.catalog, f.Factory(), DefaultClock());
  REQUIRE(r.RunPass(true, kNoStop).ok());
  const ChunkId lost = f.ChunksOf(first).front();
  fs::remove(f.replica / ReplicaChunkKey(lost));
  const std::int64_t until = NowSeconds() + 3 * kDay;
  f.LockSnapshot(first, until * kNanosPerSecond);
  auto pass = r.RunPass(true, kNoStop);
  INFO((pass.ok() ? "" : pass.error().ToString()));
  REQUIRE(pass.ok());
  CHECK(pass->chunks_sent == 1);
  std::lock_guard lock(f.log.mu);
  CHECK(f.log.puts.at(ReplicaChunkKey(lost)) == 2);
  CHECK(f.log.put_retain.at(ReplicaChunkKey(lost)) == until);
  CHECK(fs::exists(f.replica / ReplicaChunkKey(lost)));
}

}  // namespace
}  // namespace cairn
