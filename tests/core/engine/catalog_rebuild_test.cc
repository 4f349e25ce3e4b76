#include "core/engine/catalog_rebuild.h"

#include <fstream>

#include "tests/core/engine/engine_test_util.h"
#include "tests/support/sample_tree.h"

namespace cairn {
namespace {

struct Snapshot {
  std::vector<SnapshotRecord> snapshots;
  std::vector<ChunkRecord> chunks;
};

Snapshot Capture(Catalog& catalog) {
  Snapshot s;
  auto snaps = catalog.ListSnapshots();
  REQUIRE(snaps.ok());
  s.snapshots = *snaps;
  auto ids = catalog.AllChunkIds();
  REQUIRE(ids.ok());
  for (const ChunkId& id : *ids) {
    auto c = catalog.GetChunk(id);
    REQUIRE(c.ok());
    REQUIRE(c->has_value());
    ChunkRecord r = **c;
    r.verified_unix_ns.reset();  // verification history is not in the store
    s.chunks.push_back(r);
  }
  return s;
}

TEST_CASE("Catalog rebuild: snapshots, chunk sizes and refcounts equal the lost catalog's",
          "[integration]") {
  StoreFixture f;
  MakeSampleTree(f.src, 11);
  Snapshot before;
  {
    auto store = f.Open();
    REQUIRE(StoreFixture::Backup(*store, f.src, "a").ok());
    WriteSeededFile(f.src / "a" / "extra.bin", 700 * 1024, 12);
    REQUIRE(StoreFixture::Backup(*store, f.src, "a").ok());  // shares most chunks
    REQUIRE(StoreFixture::Backup(*store, f.src / "a", "b").ok());
    before = Capture(store->catalog());
  }
  REQUIRE(before.snapshots.size() == 3);
  fs::remove(f.dir / "catalog.db");
  auto store = Store::Open(DefaultFileSystem(), f.dir, KeySource{f.key, std::nullopt},
                           /*fresh_catalog=*/true);
  REQUIRE(store.ok());
  auto report = RebuildCatalog(**store);
  REQUIRE(report.ok());
  CHECK(report->snapshots == 3);
  CHECK(report->unreadable_manifests.empty());
  CHECK(report->missing_chunks.empty());
  Snapshot after = Capture((*store)->catalog());
  CHECK(after.snapshots == before.snapshots);
  CHECK(after.chunks == before.chunks);
}

TEST_CASE("Catalog rebuild: a missing chunk and a damaged manifest are reported, not invented",
          "[integration]") {
  StoreFixture f;
  MakeSampleTree(f.src, 13);
  std::string first_id;
  {
    auto store = f.Open();
    auto one = StoreFixture::Backup(*store, f.src, "one");
    REQUIRE(one.ok());
    first_id = one->snapshot_id;
    auto two = StoreFixture::Backup(*store, f.src / "a", "two");
    REQUIRE(two.ok());
    // Damage: truncate snapshot "two"'s manifest, delete one chunk of "one".
    fs::resize_file(store->ManifestPath("two", two->snapshot_id), 10);
    auto m = store->ReadManifest("one", first_id);
    REQUIRE(m.ok());
    for (const TreeEntry& e : m->entries) {
      if (!e.content.empty() && e.path == "a/b/c/large.bin") fs::remove(store->ChunkPath(e.content[0].id));
    }
  }
  auto store = Store::Open(DefaultFileSystem(), f.dir, KeySource{f.key, std::nullopt}, true);
  REQUIRE(store.ok());
  auto report = RebuildCatalog(**store);
  REQUIRE(report.ok());
  CHECK(report->snapshots == 1);
  REQUIRE(report->unreadable_manifests.size() == 1);
  CHECK(report->unreadable_manifests[0].rfind("two/", 0) == 0);
  REQUIRE(report->missing_chunks.size() == 1);
  CHECK(report->missing_chunks[0].find("one/" + first_id) != std::string::npos);
}

}  // namespace
}  // namespace cairn
