// Retention locks on a real S3 replica: the engine against a Ceph RGW bucket
// with Object Lock (started once for this program, tests/sync/s3/
// rgw_fixture.h). Every date is read back from RGW, not from the engine.
#include <catch2/catch.hpp>

#include "core/base/utc_time.h"
#include "sync/engine/open_target.h"
#include "sync/s3/s3_client.h"
#include "tests/sync/engine/replication_test_util.h"
#include "tests/sync/s3/rgw_fixture.h"

namespace cairn {
namespace {

const std::atomic<bool> kNoStop{false};
constexpr std::int64_t kDay = 86'400;

std::int64_t NowSeconds() { return DefaultClock().NowUnixNanos() / kNanosPerSecond; }

struct RgwReplicationFixture : ReplicationFixture {
  TargetSpec spec;
  std::unique_ptr<S3Client> client;

  explicit RgwReplicationFixture(bool object_lock) {
    spec.name = "cloud";
    spec.kind = TargetKind::kS3;
    spec.s3 = test::NewRgwTarget(tmp.path(), "engine-lock", "site-a");
    test::CreateBucket(spec.s3, object_lock);
    client = test::MakeS3Client(spec.s3);
    REQUIRE(catalog->AddTarget(spec).ok());
  }

  TargetFactory RealFactory() {
    return [](const TargetSpec& s) { return OpenReplicaTarget(s); };
  }

  // One pass, as the worker runs it: the probe says whether locks work.
  PassReport Pass(TargetReplicator& r) {
    auto probe = test::OpenTarget(spec.s3)->Probe();
    INFO(probe.status().ToString());
    REQUIRE(probe.ok());
    auto pass = r.RunPass(probe->supports_locks, kNoStop);
    INFO((pass.ok() ? "" : pass.error().ToString()));
    REQUIRE(pass.ok());
    REQUIRE(pass->complete);
    return *pass;
  }

  // The COMPLIANCE retain-until of the current version of `key`, in unix
  // seconds; 0 when it has no lock.
  std::int64_t RetainedUntil(const std::string& key) {
    auto head = client->HeadObject("site-a/" + key);
    INFO(key << ": " << head.status().ToString());
    REQUIRE(head.ok());
    if (head->lock_mode.empty()) return 0;
    CHECK(head->lock_mode == "COMPLIANCE");
    auto retention = client->GetObjectRetention("site-a/" + key, head->version_id);
    REQUIRE(retention.ok());
    return retention->retain_until_unix;
  }

  std::size_t Versions(const std::string& key) {
    auto page = client->ListObjectVersions("site-a/" + key, "", "");
    REQUIRE(page.ok());
    std::size_t n = 0;
    for (const S3ObjectVersion& v : page->versions) n += v.key == "site-a/" + key;
    return n;
  }
};

TEST_CASE(
    "Replication to S3 with Object Lock: a snapshot's objects are retained until its lock, "
    "shared chunks are extended to a later snapshot's, an extended lock reaches the replica",
    "[integration]") {
  RgwReplicationFixture f(/*object_lock=*/true);
  const fs::path src = f.tmp.path() / "tree";
  fs::create_directories(src);
  for (int i = 0; i < 3; ++i) WriteSeededFile(src / ("f" + std::to_string(i)), 300'000, 60 + i);
  const std::string unlocked = f.BackupFiles("other", 2, 200'000, 5);
  const std::string first = f.BackupDir("app", src);
  const std::int64_t first_until = NowSeconds() + 2 * kDay;
  f.LockSnapshot(first, first_until * kNanosPerSecond);
  TargetReplicator r(f.spec, UnsharedLocalStore(*f.store), *f.catalog, f.RealFactory(),
                     DefaultClock());
  f.Pass(r);

  for (const ChunkId& id : f.ChunksOf(first)) CHECK(f.RetainedUntil(ReplicaChunkKey(id)) == first_until);
  CHECK(f.RetainedUntil(f.ManifestKeyOf(first)) == first_until);
  for (const ChunkId& id : f.ChunksOf(unlocked)) CHECK(f.RetainedUntil(ReplicaChunkKey(id)) == 0);
  CHECK(f.RetainedUntil(f.ManifestKeyOf(unlocked)) == 0);
  CHECK(f.RetainedUntil("config") == 0);

  SECTION("a later snapshot locked longer extends the chunks it shares") {
    WriteSeededFile(src / "new", 200'000, 77);
    const std::string second = f.BackupDir("app", src);
    const std::int64_t second_until = NowSeconds() + 5 * kDay;
    f.LockSnapshot(second, second_until * kNanosPerSecond);
    const PassReport pass = f.Pass(r);
    CHECK(pass.retentions_extended > 0);
    for (const ChunkId& id : f.ChunksOf(second)) {
      const std::string key = ReplicaChunkKey(id);
      CHECK(f.RetainedUntil(key) == second_until);
      CHECK(f.Versions(key) == 1);  // extended in place, not uploaded again
    }
    CHECK(f.RetainedUntil(f.ManifestKeyOf(first)) == first_until);
  }

  SECTION("a lock extended after replication: new manifest version, chunks extended") {
    const std::int64_t later = NowSeconds() + 9 * kDay;
    f.LockSnapshot(first, later * kNanosPerSecond);
    const PassReport pass = f.Pass(r);
    CHECK(pass.locks_extended == 1);
    CHECK(pass.chunks_sent == 0);
    const std::string manifest_key = f.ManifestKeyOf(first);
    CHECK(f.Versions(manifest_key) == 2);
    CHECK(f.RetainedUntil(manifest_key) == later);
    auto replica_manifest = test::OpenTarget(f.spec.s3)->Get(manifest_key, 64 << 20);
    auto local_manifest = ReadWholeFile(DefaultFileSystem(), f.dir / manifest_key, 64 << 20);
    REQUIRE(replica_manifest.ok());
    REQUIRE(local_manifest.ok());
    CHECK(*replica_manifest == *local_manifest);  // the rewritten bytes
    for (const ChunkId& id : f.ChunksOf(first)) CHECK(f.RetainedUntil(ReplicaChunkKey(id)) == later);
    auto held = f.catalog->ReplicatedSnapshots("cloud");
    REQUIRE(held.ok());
    for (const ReplicatedSnapshot& h : *held) {
      if (h.snapshot_id == first) CHECK(h.lock_until_unix_ns == later * kNanosPerSecond);
    }
    // The earlier manifest version keeps its own date, and neither goes.
    Status deleted = test::OpenTarget(f.spec.s3)->Delete(manifest_key);
    CHECK(deleted.IsPermissionDenied());
  }
}

TEST_CASE("Replication to S3 without Object Lock: a locked snapshot goes up with no lock headers",
          "[integration]") {
  RgwReplicationFixture f(/*object_lock=*/false);
  const std::string id = f.BackupFiles("app", 2, 200'000, 8);
  f.LockSnapshot(id, (NowSeconds() + kDay) * kNanosPerSecond);
  TargetReplicator r(f.spec, UnsharedLocalStore(*f.store), *f.catalog, f.RealFactory(),
                     DefaultClock());
  f.Pass(r);
  CHECK(f.RetainedUntil(f.ManifestKeyOf(id)) == 0);
  for (const ChunkId& c : f.ChunksOf(id)) CHECK(f.RetainedUntil(ReplicaChunkKey(c)) == 0);
  auto held = f.catalog->ReplicatedSnapshots("cloud");
  REQUIRE(held.ok());
  REQUIRE(held->size() == 1);
}

}  // namespace
}  // namespace cairn
