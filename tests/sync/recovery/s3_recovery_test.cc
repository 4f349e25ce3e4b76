// Recovery from a replica in a real S3 bucket (Ceph RGW started by the
// test, tests/sync/s3/rgw_fixture.h), through the same factory and target
// kinds `cairnctl replica attach --s3-...` uses.
#include "sync/recovery/attached_restore.h"
#include "sync/recovery/replica_reseed.h"
#include "sync/s3/s3_target.h"
#include "tests/sync/recovery/recovery_test_util.h"
#include "tests/sync/s3/rgw_fixture.h"

namespace cairn {
namespace {

TEST_CASE(
    "Replica recovery from S3: a bucket replica attaches, restores bit for bit and "
    "re-seeds; a wrong secret is refused clearly",
    "[integration]") {
  ReplicaFixture f;
  MakeSampleTree(f.src, 71);
  auto snap = f.BackupAs(f.src, "volumes", "edge-1");
  REQUIRE(snap.ok());

  // The bucket, filled as the replication engine fills it: every store
  // file under its ReplicaLayout key, below a prefix.
  S3TargetSettings settings = test::NewRgwTarget(f.tmp.path(), "recovery", "site-a");
  test::CreateBucket(settings, /*object_lock=*/false);
  {
    auto put = test::OpenTarget(settings);
    for (const auto& entry : fs::recursive_directory_iterator(f.dir)) {
      const std::string key = fs::relative(entry.path(), f.dir).string();
      if (!entry.is_regular_file() || !ValidateReplicaKey(key).ok()) continue;
      auto data = ReadWholeFile(DefaultFileSystem(), entry.path(), 64 << 20);
      REQUIRE(data.ok());
      REQUIRE(put->Put(key, *data, PutOptions{}).ok());
    }
  }
  // Objects that are not the replica's, under the prefix and beside it:
  // skipped, never followed.
  auto client = test::MakeS3Client(settings);
  for (const std::string key :
       {"site-a/chunks/ab/junk", "site-a/snapshots/Bad Name/0123456789abcdef", "site-a/notes.txt",
        "other-site/config"}) {
    REQUIRE(client->PutObject(key, AsBytes(std::string("x")), {}).ok());
  }
  ReplicaSource source;
  source.target.name = "replica";
  source.target.kind = TargetKind::kS3;
  source.target.s3 = settings;
  AttachRequest request = f.Request(MakeReplicaTargetFactory(source, ReplicaSecrets{}));
  request.source = source;

  SECTION("attach, restore, reseed") {
    auto attached = AttachReplica(DefaultFileSystem(), request);
    INFO(attached.status().ToString());
    REQUIRE(attached.ok());
    CHECK(attached->report.complete());
    CHECK(attached->report.snapshots == 1);
    CHECK(attached->report.source == "s3 " + settings.endpoint + " " + settings.bucket + "/site-a");

    auto sink = TreeRestorer::Create(f.restored);
    REQUIRE(sink.ok());
    RestoreRequest restore;
    restore.snapshot = snap->snapshot_id;
    restore.threads = 2;
    AttachedRestoreStats stats;
    auto restored = RestoreFromStore(*attached->store, restore, **sink, ReplicaSecrets{}, &stats);
    REQUIRE(restored.ok());
    CHECK(restored->errors.empty());
    CHECK(stats.fetched.chunks > 0);
    CHECK(DiffTrees(f.src, f.restored) == "");
    attached->store.reset();

    auto reseeded = ReseedStore(DefaultFileSystem(), request, PullOptions{});
    REQUIRE(reseeded.ok());
    CHECK(reseeded->second.complete());
    CHECK(reseeded->second.pull.chunks_fetched + stats.fetched.chunks ==
          reseeded->second.rebuild.chunks);
  }
  SECTION("a wrong secret") {
    const fs::path wrong = test::WriteCredentials(f.tmp.path(), test::SharedRgw().access_key,
                                                  "not-the-secret", "wrong.toml");
    ReplicaSecrets secrets;
    secrets.s3_credentials_file = wrong;  // as restore --s3-credentials overrides it
    request.open_target = MakeReplicaTargetFactory(source, secrets);
    auto attached = AttachReplica(DefaultFileSystem(), request);
    REQUIRE_FALSE(attached.ok());
    CHECK(attached.error().IsPermissionDenied());
    CHECK_FALSE(fs::exists(f.attached));
  }
}

}  // namespace
}  // namespace cairn
