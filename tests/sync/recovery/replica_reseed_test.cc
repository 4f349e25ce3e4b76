#include "sync/recovery/replica_reseed.h"

#include "core/engine/verify.h"
#include "tests/sync/recovery/recovery_test_util.h"

namespace cairn {
namespace {

PullOptions Options(int streams = 3) {
  PullOptions o;
  o.streams = streams;
  o.commit_every_bytes = 1 << 20;  // several batches in these small stores
  return o;
}

TEST_CASE(
    "Replica reseed: every chunk comes back, verify is clean, and a second reseed fetches "
    "nothing",
    "[integration]") {
  ReplicaFixture f;
  MakeSampleTree(f.src, 41);
  REQUIRE(StoreFixture::Backup(*f.store, f.src, "one").ok());
  WriteSeededFile(f.src / "a" / "more.bin", 2 << 20, 42);
  REQUIRE(StoreFixture::Backup(*f.store, f.src, "two").ok());
  auto stats_before = f.store->catalog().Stats();
  REQUIRE(stats_before.ok());
  f.Replicate();

  JobProgress progress;
  PullOptions options = Options();
  options.progress = &progress;
  auto reseeded = ReseedStore(DefaultFileSystem(), f.Request(), options);
  REQUIRE(reseeded.ok());
  const ReseedReport& r = reseeded->second;
  CHECK(r.complete());
  CHECK(r.pull.chunks_fetched == stats_before->chunk_count);
  CHECK(r.pull.bytes_fetched == stats_before->stored_bytes);
  CHECK(progress.chunks_done == stats_before->chunk_count);
  CHECK(progress.bytes_done == stats_before->stored_bytes);
  CHECK(f.log.MaxGetsOfOneKey() == 1);  // nothing read twice
  auto stats_after = reseeded->first->catalog().Stats();
  REQUIRE(stats_after.ok());
  CHECK(stats_after->chunk_count == stats_before->chunk_count);
  CHECK(stats_after->stored_bytes == stats_before->stored_bytes);
  CHECK(stats_after->plain_bytes == stats_before->plain_bytes);
  auto verified = RunVerify(*reseeded->first, 2);
  REQUIRE(verified.ok());
  CHECK(verified->sound());
  CHECK(verified->chunks_checked == stats_before->chunk_count);
  reseeded->first.reset();

  f.log.gets.clear();
  auto again = ReseedStore(DefaultFileSystem(), f.Request(), Options());
  REQUIRE(again.ok());
  CHECK(again->second.complete());
  CHECK(again->second.pull.chunks_fetched == 0);
  CHECK(again->second.attach.manifests_fetched == 0);
  CHECK(f.log.Gets("chunks/") == 0);
  CHECK(f.log.Gets("snapshots/") == 0);

  // And it restores from its own files, with no replica.
  fs::remove_all(f.replica);
  auto restored = StoreFixture::Restore(*again->first, "latest", f.restored);
  REQUIRE(restored.ok());
  CHECK(restored->errors.empty());
  CHECK(DiffTrees(f.src, f.restored) == "");
}

TEST_CASE("Replica reseed: cut in the middle, run again, it fetches only what had not arrived",
          "[integration][fault]") {
  ReplicaFixture f;
  MakeSampleTree(f.src, 43);
  for (int i = 0; i < 12; ++i) {
    WriteSeededFile(f.src / ("big-" + std::to_string(i)), 700 * 1024, 50 + i);
  }
  REQUIRE(StoreFixture::Backup(*f.store, f.src, "t").ok());
  auto total = f.store->catalog().Stats();
  REQUIRE(total.ok());
  REQUIRE(total->chunk_count > 20);
  f.Replicate();

  f.log.fail_after_chunk_gets = 10;  // the link goes down for good after 10 chunks
  auto cut = ReseedStore(DefaultFileSystem(), f.Request(), Options());
  REQUIRE(cut.ok());
  const ReseedReport& r1 = cut->second;
  CHECK_FALSE(r1.complete());
  CHECK(r1.pull.stopped.retryable());
  CHECK_THAT(r1.pull.stopped.message(), Catch::Contains("test cut"));
  CHECK(r1.pull.chunks_fetched == 10);
  cut->first.reset();

  f.log.fail_after_chunk_gets = -1;
  f.log.gets.clear();
  auto resumed = ReseedStore(DefaultFileSystem(), f.Request(), Options());
  REQUIRE(resumed.ok());
  const ReseedReport& r2 = resumed->second;
  CHECK(r2.complete());
  CHECK(r2.attach.chunks_local == 10);
  CHECK(r2.pull.chunks_fetched == total->chunk_count - 10);
  CHECK(f.log.Gets("chunks/") == static_cast<int>(total->chunk_count - 10));
  auto verified = RunVerify(*resumed->first, 2);
  REQUIRE(verified.ok());
  CHECK(verified->sound());
}

TEST_CASE(
    "Replica reseed: a chunk damaged on the replica is reported with the files it hurts, "
    "and not kept",
    "[integration]") {
  ReplicaFixture f;
  const ChunkId bad = f.ChunkOf("t", f.BackUpSampleAndReplicate(44), "a/b/medium.bin");
  FlipByte(f.ReplicaChunkPath(bad), 64);

  auto reseeded = ReseedStore(DefaultFileSystem(), f.Request(), Options());
  REQUIRE(reseeded.ok());
  const ReseedReport& r = reseeded->second;
  CHECK_FALSE(r.complete());
  CHECK(r.pull.stopped.ok());
  REQUIRE(r.unrecovered.size() == 1);
  CHECK(r.unrecovered[0].id == bad);
  CHECK_THAT(r.unrecovered[0].problem, Catch::Contains(bad.Hex()));
  REQUIRE(r.unrecovered[0].used_by.size() == 1);
  CHECK(r.unrecovered[0].used_by[0].files == std::vector<std::string>{"a/b/medium.bin"});
  CHECK_FALSE(fs::exists(reseeded->first->ChunkPath(bad)));
}

}  // namespace
}  // namespace cairn
