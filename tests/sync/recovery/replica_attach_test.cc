#include "sync/recovery/replica_attach.h"

#include <fstream>

#include "tests/sync/recovery/recovery_test_util.h"

namespace cairn {
namespace {

// The attached catalog's row for each chunk equals the original store's,
// and its stored size is the one the replica listed.
void CheckChunkRowsMatch(Catalog& original, Catalog& attached,
                         const std::vector<std::pair<ChunkId, std::uint64_t>>& listed) {
  auto original_stats = original.Stats();
  auto attached_stats = attached.Stats();
  REQUIRE(original_stats.ok());
  REQUIRE(attached_stats.ok());
  CHECK(attached_stats->chunk_count == original_stats->chunk_count);
  CHECK(listed.size() == original_stats->chunk_count);
  for (const auto& [id, listed_size] : listed) {
    auto want = original.GetChunk(id);
    auto got = attached.GetChunk(id);
    REQUIRE((want.ok() && got.ok() && want->has_value() && got->has_value()));
    CHECK((*got)->plain_size == (*want)->plain_size);
    CHECK((*got)->stored_size == (*want)->stored_size);
    CHECK((*got)->refcount == (*want)->refcount);
    CHECK(listed_size == (*want)->stored_size);
  }
}

TEST_CASE(
    "Replica attach: the replica's snapshots are listed with their names, clusters, times "
    "and sizes, and chunk rows are sized without fetching a chunk",
    "[integration]") {
  ReplicaFixture f;
  MakeSampleTree(f.src, 21);
  REQUIRE(f.BackupAs(f.src, "volumes", "edge-1").ok());
  WriteSeededFile(f.src / "a" / "new.bin", 500 * 1024, 22);
  REQUIRE(f.BackupAs(f.src, "volumes", "edge-1").ok());
  REQUIRE(StoreFixture::Backup(*f.store, f.src / "a", "local").ok());
  auto before = f.store->catalog().ListSnapshots();
  REQUIRE(before.ok());
  REQUIRE(before->size() == 3);
  f.Replicate();

  auto attached = AttachReplica(DefaultFileSystem(), f.Request());
  REQUIRE(attached.ok());
  const AttachReport& r = attached->report;
  CHECK(r.complete());
  CHECK(r.created_store);
  CHECK(r.created_key_file);
  CHECK(r.snapshots == 3);
  CHECK(r.manifests_fetched == 3);
  CHECK(r.chunks_local == 0);
  CHECK(r.store_id == f.store->config().StoreIdHex());
  CHECK(f.log.Gets("chunks/") == 0);  // attach reads no chunk
  auto after = attached->store->catalog().ListSnapshots();
  REQUIRE(after.ok());
  CHECK(*after == *before);  // names, clusters, times, sizes, tags: row for row
  CHECK((*after)[0].cluster == "edge-1");
  CheckChunkRowsMatch(f.store->catalog(), attached->store->catalog(), attached->to_pull);

  // Later commands open it with the new key file, like any store.
  attached->store.reset();
  auto reopened = Store::Open(DefaultFileSystem(), f.attached, KeySource{f.new_key, std::nullopt});
  REQUIRE(reopened.ok());
  auto listed = (*reopened)->catalog().ListSnapshots();
  REQUIRE(listed.ok());
  CHECK(listed->size() == 3);
  auto source = LoadReplicaSource(DefaultFileSystem(), f.attached);
  REQUIRE(source.ok());
  REQUIRE(source->has_value());
  CHECK((*source)->Describe() == "directory " + f.replica.string());
}

TEST_CASE("Replica attach: a wrong recovery kit is refused clearly, and nothing is written",
          "[integration]") {
  ReplicaFixture f;
  f.BackUpSampleAndReplicate(23);
  StoreFixture other;
  auto other_store = other.Open();
  AttachRequest request = f.Request();
  const auto other_kit = ReplicaFixture::KitOf(*other_store);
  std::string expected, also_expected;
  SECTION("the kit of another store names both stores") {
    request.master = other_kit.first;
    request.kit_store_id = other_kit.second;
    expected = "this recovery kit belongs to store " + other_store->config().StoreIdHex();
    also_expected = f.replica.string() + " holds store " + f.store->config().StoreIdHex();
  }
  SECTION("a kit naming this store with another master key does not open it") {
    request.master = other_kit.first;
    expected = "the recovery kit does not open this replica";
  }
  auto attached = AttachReplica(DefaultFileSystem(), request);
  REQUIRE_FALSE(attached.ok());
  CHECK(attached.error().IsPermissionDenied());
  CHECK_THAT(attached.error().message(),
             Catch::Contains(expected) && Catch::Contains(also_expected));
  CHECK_FALSE(fs::exists(f.attached));
  CHECK_FALSE(fs::exists(f.new_key));
}

TEST_CASE(
    "Replica attach: keys that are not replica objects are skipped, bad manifest names "
    "included",
    "[integration]") {
  ReplicaFixture f;
  const std::string one = f.BackUpSampleAndReplicate(25, "one");
  const std::string valid_hex = f.ChunkOf("one", one, "a/b/medium.bin").Hex();
  const std::string wrong_dir = valid_hex.substr(0, 2) == "00" ? "01" : "00";
  f.log.extra_keys = {
      "snapshots/Bad Name/0123456789abcdef",    // not a snapshot name
      "snapshots/one/not-an-id",                // not a snapshot id
      "snapshots/../config/0123456789abcdef",   // escape attempt
      "snapshots/one",                          // too short
      "chunks/" + wrong_dir + "/" + valid_hex,  // the id under the wrong directory
      "chunks/ab/xyz",                          // not an id
      "chunks/ab/cd/ef",                        // too deep
  };
  // And stray files in the directory itself (DirectoryTarget skips them too).
  fs::create_directories(f.replica / "lost+found");
  std::ofstream(f.replica / "lost+found" / "x") << "x";
  std::ofstream(f.replica / "chunks" / "README") << "x";
  fs::create_directories(f.replica / "snapshots" / "BAD NAME");
  std::ofstream(f.replica / "snapshots" / "BAD NAME" / "0123456789abcdef") << "x";

  auto attached = AttachReplica(DefaultFileSystem(), f.Request());
  REQUIRE(attached.ok());
  const AttachReport& r = attached->report;
  CHECK(r.ignored_key_count == f.log.extra_keys.size());
  CHECK(r.ignored_keys.size() == f.log.extra_keys.size());
  CHECK(r.complete());
  CHECK(r.snapshots == 1);
  CHECK(r.manifests_fetched == 1);
  CHECK(f.log.Gets("snapshots/one/not-an-id") == 0);  // listed, never read
  CHECK_FALSE(fs::exists(f.attached / "snapshots" / "Bad Name"));
  CHECK_FALSE(fs::exists(f.attached / "snapshots" / "BAD NAME"));
}

TEST_CASE(
    "Replica attach: a chunk the replica lacks is reported with the snapshot and files it "
    "affects; the other snapshots stay whole",
    "[integration]") {
  ReplicaFixture f;
  MakeSampleTree(f.src, 26);
  auto one = StoreFixture::Backup(*f.store, f.src, "one");
  REQUIRE(one.ok());
  fs::create_directories(f.tmp.path() / "other");
  WriteSeededFile(f.tmp.path() / "other" / "x.bin", 200 * 1024, 27);
  REQUIRE(StoreFixture::Backup(*f.store, f.tmp.path() / "other", "two").ok());
  f.Replicate();
  const ChunkId lost = f.ChunkOf("one", one->snapshot_id, "a/b/medium.bin");
  REQUIRE(fs::remove(f.ReplicaChunkPath(lost)));

  auto attached = AttachReplica(DefaultFileSystem(), f.Request());
  REQUIRE(attached.ok());
  const AttachReport& r = attached->report;
  CHECK_FALSE(r.complete());
  CHECK(r.snapshots == 2);
  REQUIRE(r.missing_chunks.size() == 1);
  const DamagedChunk& m = r.missing_chunks[0];
  CHECK(m.id == lost);
  CHECK_THAT(m.problem, Catch::Contains("missing from the store and from the replica"));
  REQUIRE(m.used_by.size() == 1);
  CHECK(m.used_by[0].name == "one");
  CHECK(m.used_by[0].snapshot_id == one->snapshot_id);
  CHECK(m.used_by[0].files == std::vector<std::string>{"a/b/medium.bin"});
  for (const auto& [id, size] : attached->to_pull) CHECK(id != lost);
}

TEST_CASE(
    "Replica attach: attaching again fetches only the manifests that are new on the "
    "replica, and refuses a directory holding another store",
    "[integration]") {
  ReplicaFixture f;
  MakeSampleTree(f.src, 28);
  REQUIRE(StoreFixture::Backup(*f.store, f.src, "one").ok());
  REQUIRE(StoreFixture::Backup(*f.store, f.src / "a", "two").ok());
  f.Replicate();
  {
    auto first = AttachReplica(DefaultFileSystem(), f.Request());
    REQUIRE(first.ok());
    CHECK(first->report.manifests_fetched == 2);
  }
  REQUIRE(StoreFixture::Backup(*f.store, f.src / "a" / "b", "three").ok());
  f.Replicate();
  f.log.gets.clear();
  auto again = AttachReplica(DefaultFileSystem(), f.Request());
  REQUIRE(again.ok());
  CHECK(again->report.manifests_fetched == 1);
  CHECK(again->report.manifests_local == 2);
  CHECK_FALSE(again->report.created_key_file);  // the key file made the first time opens it
  CHECK(again->report.snapshots == 3);
  CHECK(f.log.Gets("snapshots/") == 1);
  again->store.reset();

  // Another store's replica into the same directory: refused.
  ReplicaFixture g;
  REQUIRE(StoreFixture::Backup(*g.store, f.src / "a", "x").ok());
  g.Replicate();
  AttachRequest request = g.Request();
  request.store_dir = f.attached;
  request.key_file = g.new_key;
  auto refused = AttachReplica(DefaultFileSystem(), request);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().IsAlreadyExists());
  CHECK_THAT(refused.error().message(), Catch::Contains("attach into a new directory"));
}

TEST_CASE("Replica attach: a manifest that does not authenticate is reported and not stored",
          "[integration]") {
  ReplicaFixture f;
  MakeSampleTree(f.src, 29);
  auto one = StoreFixture::Backup(*f.store, f.src, "one");
  REQUIRE(one.ok());
  REQUIRE(StoreFixture::Backup(*f.store, f.src / "a", "two").ok());
  f.Replicate();
  const fs::path manifest = f.replica / ReplicaManifestKey("one", one->snapshot_id);
  FlipByte(manifest, 40);
  auto attached = AttachReplica(DefaultFileSystem(), f.Request());
  REQUIRE(attached.ok());
  REQUIRE(attached->report.unreadable_manifests.size() == 1);
  CHECK_THAT(attached->report.unreadable_manifests[0], Catch::Contains("one/" + one->snapshot_id));
  CHECK(attached->report.snapshots == 1);
  CHECK_FALSE(fs::exists(f.attached / "snapshots" / "one" / one->snapshot_id));
}

}  // namespace
}  // namespace cairn
