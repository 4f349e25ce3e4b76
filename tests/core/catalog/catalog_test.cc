#include "core/catalog/catalog.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/catalog/sqlite_db.h"
#include "core/catalog/transaction.h"
#include "tests/support/temp_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;


std::unique_ptr<Catalog> OpenOrDie(const fs::path& path, const CatalogOptions& options = {}) {
  auto catalog = Catalog::Open(path, options);
  INFO(catalog.status().ToString());
  REQUIRE(catalog.ok());
  return std::move(catalog).value();
}

// Distinct, deterministic ids: n in the first bytes, a fixed tail.
ChunkId Id(std::uint32_t n) {
  ChunkId id;
  PutU32(id.bytes.data(), n);
  id.bytes[31] = 0x5a;
  return id;
}

NewChunk Chunk(std::uint32_t n) { return {Id(n), 1000 + n, 500 + n}; }

SnapshotRecord Snap(std::string id, std::string name, std::int64_t created) {
  SnapshotRecord r;
  r.id = std::move(id);
  r.name = std::move(name);
  r.created_unix_ns = created;
  r.source = "/srv/www";
  r.hostname = "web01";
  r.file_count = 12;
  r.dir_count = 3;
  r.bytes_read = 123456;
  r.bytes_new = 2000;
  r.bytes_stored = 1100;
  r.chunk_count = 2;
  r.manifest_bytes = 321;
  r.tags = {"daily", "prod"};
  return r;
}

void Commit(Catalog& c, const SnapshotRecord& s, const std::vector<NewChunk>& news,
            const std::vector<ChunkId>& refs) {
  Status st = c.CommitSnapshot(s, news, refs);
  INFO(st.ToString());
  REQUIRE(st.ok());
}

std::uint64_t Refcount(Catalog& c, const ChunkId& id) {
  auto rec = c.GetChunk(id);
  REQUIRE(rec.ok());
  REQUIRE(rec->has_value());
  return (*rec)->refcount;
}

TEST_CASE("Catalog: a committed snapshot is listed and found by prefix and is the latest",
          "[unit]") {
  TempDir dir;
  auto c = OpenOrDie(dir.path() / "catalog.db");
  CHECK(c->ListSnapshots()->empty());
  CHECK_FALSE(c->LatestSnapshot()->has_value());

  const SnapshotRecord s = Snap("a1b2c3d4", "web01:/srv/www", 1'000);
  Commit(*c, s, {Chunk(1), Chunk(2)}, {Id(1), Id(2)});

  auto all = c->ListSnapshots();
  REQUIRE(all.ok());
  REQUIRE(all->size() == 1);
  CHECK(all->front() == s);  // every field round-trips, tags included
  CHECK(*c->FindSnapshot("a1b2c3d4") == s);
  CHECK(*c->FindSnapshot("a1b") == s);
  auto latest = c->LatestSnapshot("web01:/srv/www");
  REQUIRE(latest.ok());
  REQUIRE(latest->has_value());
  CHECK(**latest == s);
  CHECK_FALSE(c->LatestSnapshot("other")->has_value());
}

TEST_CASE("Catalog: snapshots list oldest first and can be filtered by name", "[unit]") {
  TempDir dir;
  auto c = OpenOrDie(dir.path() / "catalog.db");
  Commit(*c, Snap("s3", "etc", 300), {}, {});
  Commit(*c, Snap("s1", "etc", 100), {}, {});
  Commit(*c, Snap("s2", "www", 200), {}, {});
  Commit(*c, Snap("s0", "www", 200), {}, {});  // same time as s2: ties go by id

  // Range-for over a temporary Result would dangle (pre-C++23): name it.
  auto IdsOf = [](const Result<std::vector<SnapshotRecord>>& list) {
    REQUIRE(list.ok());
    std::vector<std::string> ids;
    for (const auto& s : *list) ids.push_back(s.id);
    return ids;
  };
  CHECK(IdsOf(c->ListSnapshots()) == std::vector<std::string>{"s1", "s0", "s2", "s3"});
  CHECK(IdsOf(c->ListSnapshots("www")) == std::vector<std::string>{"s0", "s2"});
  CHECK(c->ListSnapshots("none")->empty());

  CHECK((*c->LatestSnapshot())->id == "s3");
  CHECK((*c->LatestSnapshot("www"))->id == "s2");
  CHECK((*c->LatestSnapshot("etc"))->id == "s3");
}

TEST_CASE("Catalog: an ambiguous prefix names its matches and an unknown one is NotFound",
          "[unit]") {
  TempDir dir;
  auto c = OpenOrDie(dir.path() / "catalog.db");
  Commit(*c, Snap("ab12", "n", 1), {}, {});
  Commit(*c, Snap("ab34", "n", 2), {}, {});
  Commit(*c, Snap("ab3", "n", 3), {}, {});
  Commit(*c, Snap("b", "n", 4), {}, {});

  auto ambiguous = c->FindSnapshot("ab");
  REQUIRE_FALSE(ambiguous.ok());
  CHECK(ambiguous.error().IsInvalidArgument());
  CHECK(ambiguous.error().message().find("ambiguous prefix \"ab\", matches: ab12, ab3, ab34") !=
        std::string::npos);
  CHECK(c->FindSnapshot("ab1")->id == "ab12");
  CHECK(c->FindSnapshot("ab3")->id == "ab3");  // an exact id beats longer matches
  CHECK(c->FindSnapshot("ab34")->id == "ab34");
  CHECK(c->FindSnapshot("b")->id == "b");
  CHECK(c->FindSnapshot("c").status().IsNotFound());
  CHECK(c->FindSnapshot("ab5").status().IsNotFound());
  CHECK(c->FindSnapshot("").status().IsInvalidArgument());
}

TEST_CASE("Catalog: an ambiguous prefix with many matches lists ten and an ellipsis", "[unit]") {
  TempDir dir;
  auto c = OpenOrDie(dir.path() / "catalog.db");
  for (int i = 0; i < 15; ++i) Commit(*c, Snap("x" + std::to_string(100 + i), "n", i), {}, {});
  auto r = c->FindSnapshot("x");
  REQUIRE_FALSE(r.ok());
  const std::string& m = r.error().message();
  CHECK(m.find("x109, ...") != std::string::npos);
  CHECK(m.find("x110") == std::string::npos);
}

TEST_CASE("Catalog: refcounts count each snapshot once per distinct chunk", "[unit]") {
  TempDir dir;
  auto c = OpenOrDie(dir.path() / "catalog.db");
  // First snapshot: chunks 1,2,3 new; 2 referenced twice (two files, same data).
  Commit(*c, Snap("s1", "n", 1), {Chunk(1), Chunk(2), Chunk(3)}, {Id(1), Id(2), Id(2), Id(3)});
  CHECK(Refcount(*c, Id(1)) == 1);
  CHECK(Refcount(*c, Id(2)) == 1);
  CHECK(Refcount(*c, Id(3)) == 1);
  // Second snapshot shares 2 and 3, adds 4, drops 1.
  Commit(*c, Snap("s2", "n", 2), {Chunk(4)}, {Id(3), Id(2), Id(4)});
  CHECK(Refcount(*c, Id(1)) == 1);
  CHECK(Refcount(*c, Id(2)) == 2);
  CHECK(Refcount(*c, Id(3)) == 2);
  CHECK(Refcount(*c, Id(4)) == 1);

  auto ids = c->AllChunkIds();
  REQUIRE(ids.ok());
  CHECK(*ids == std::vector<ChunkId>{Id(1), Id(2), Id(3), Id(4)});
  CHECK(*c->HasChunk(Id(4)));
  CHECK_FALSE(*c->HasChunk(Id(5)));
  CHECK_FALSE(c->GetChunk(Id(5))->has_value());

  auto rec = c->GetChunk(Id(4));
  REQUIRE(rec->has_value());
  CHECK((*rec)->plain_size == 1004);
  CHECK((*rec)->stored_size == 504);
  CHECK_FALSE((*rec)->verified_unix_ns.has_value());
}

TEST_CASE("Catalog: a chunk committed as new again keeps its row and counts its reference",
          "[unit]") {
  TempDir dir;
  auto c = OpenOrDie(dir.path() / "catalog.db");
  Commit(*c, Snap("s1", "n", 1), {Chunk(1)}, {Id(1)});
  // A concurrent backup may have written the same chunk: INSERT OR IGNORE.
  NewChunk again{Id(1), 1, 1};
  Commit(*c, Snap("s2", "n", 2), {again}, {Id(1)});
  auto rec = c->GetChunk(Id(1));
  REQUIRE(rec->has_value());
  CHECK((*rec)->plain_size == 1001);
  CHECK((*rec)->refcount == 2);
}

TEST_CASE("Catalog: a commit that is refused changes nothing", "[unit]") {
  TempDir dir;
  auto c = OpenOrDie(dir.path() / "catalog.db");
  Commit(*c, Snap("s1", "n", 1), {Chunk(1)}, {Id(1)});

  SECTION("a reference to a chunk the catalog does not have") {
    Status s = c->CommitSnapshot(Snap("s2", "n", 2), {Chunk(2)}, {Id(1), Id(2), Id(9)});
    CHECK(s.IsInvalidArgument());
    CHECK(s.message().find(Id(9).Hex()) != std::string::npos);
  }
  SECTION("a snapshot id that is taken") {
    Status s = c->CommitSnapshot(Snap("s1", "other", 2), {Chunk(2)}, {Id(1), Id(2)});
    CHECK(s.IsAlreadyExists());
    CHECK(s.message().find("commit snapshot s1") != std::string::npos);
  }
  SECTION("an empty name") {
    CHECK(c->CommitSnapshot(Snap("s2", "", 2), {Chunk(2)}, {Id(2)}).IsInvalidArgument());
  }
  SECTION("a size beyond the catalog's 63-bit range") {
    NewChunk huge{Id(2), ~0ull, 1};
    CHECK(c->CommitSnapshot(Snap("s2", "n", 2), {huge}, {Id(2)}).IsInvalidArgument());
  }
  SECTION("a tag that is not UTF-8") {
    SnapshotRecord s = Snap("s2", "n", 2);
    s.tags.push_back("\xff\xfe");
    CHECK(c->CommitSnapshot(s, {Chunk(2)}, {Id(2)}).IsInvalidArgument());
  }
  CHECK(c->ListSnapshots()->size() == 1);
  CHECK(*c->AllChunkIds() == std::vector<ChunkId>{Id(1)});
  CHECK(Refcount(*c, Id(1)) == 1);
  // And the catalog is still usable.
  Commit(*c, Snap("s3", "n", 3), {Chunk(2)}, {Id(2)});
}

TEST_CASE("Catalog: committed data survives closing and reopening the file", "[unit]") {
  TempDir dir;
  const fs::path path = dir.path() / "catalog.db";
  {
    auto c = OpenOrDie(path);
    Commit(*c, Snap("s1", "n", 1), {Chunk(1), Chunk(2)}, {Id(1), Id(2)});
    REQUIRE(c->SetMeta("store_id", "st-42").ok());
  }
  auto c = OpenOrDie(path);
  CHECK(c->FindSnapshot("s1")->tags == std::vector<std::string>{"daily", "prod"});
  CHECK(c->AllChunkIds()->size() == 2);
  CHECK(**c->GetMeta("store_id") == "st-42");
  CHECK(c->path() == path);
}

TEST_CASE("Catalog: verification times are recorded and unknown ids skipped", "[unit]") {
  TempDir dir;
  auto c = OpenOrDie(dir.path() / "catalog.db");
  Commit(*c, Snap("s1", "n", 1), {Chunk(1), Chunk(2)}, {Id(1), Id(2)});
  REQUIRE(c->MarkVerified({Id(1), Id(7)}, 5'000).ok());
  CHECK((*c->GetChunk(Id(1)))->verified_unix_ns == 5'000);
  CHECK_FALSE((*c->GetChunk(Id(2)))->verified_unix_ns.has_value());
  REQUIRE(c->MarkVerified({Id(1), Id(2)}, 6'000).ok());
  CHECK((*c->GetChunk(Id(1)))->verified_unix_ns == 6'000);
  CHECK((*c->GetChunk(Id(2)))->verified_unix_ns == 6'000);
  CHECK(c->MarkVerified({}, 7'000).ok());
}

TEST_CASE("Catalog: stats count snapshots and chunks and sum chunk and snapshot sizes", "[unit]") {
  TempDir dir;
  auto c = OpenOrDie(dir.path() / "catalog.db");
  auto empty = c->Stats();
  REQUIRE(empty.ok());
  CHECK(empty->snapshot_count == 0);
  CHECK(empty->chunk_count == 0);
  CHECK(empty->plain_bytes == 0);
  CHECK(empty->stored_bytes == 0);
  CHECK(empty->logical_bytes == 0);
  Commit(*c, Snap("s1", "n", 1), {Chunk(1), Chunk(2)}, {Id(1), Id(2)});
  Commit(*c, Snap("s2", "n", 2), {Chunk(3)}, {Id(1), Id(3)});
  auto stats = c->Stats();
  REQUIRE(stats.ok());
  CHECK(stats->snapshot_count == 2);
  CHECK(stats->chunk_count == 3);
  CHECK(stats->plain_bytes == 1001 + 1002 + 1003);
  CHECK(stats->stored_bytes == 501 + 502 + 503);
  CHECK(stats->logical_bytes == 2 * 123456);  // Snap() records bytes_read = 123456
}

TEST_CASE("Catalog: meta values are set and overwritten and read back", "[unit]") {
  TempDir dir;
  auto c = OpenOrDie(dir.path() / "catalog.db");
  CHECK_FALSE(c->GetMeta("store_id")->has_value());
  REQUIRE(c->SetMeta("store_id", "one").ok());
  CHECK(**c->GetMeta("store_id") == "one");
  REQUIRE(c->SetMeta("store_id", "two").ok());
  CHECK(**c->GetMeta("store_id") == "two");
  REQUIRE(c->SetMeta("empty", "").ok());
  CHECK(**c->GetMeta("empty") == "");
}

TEST_CASE("Catalog: a writer blocked by another process's lock gets Unavailable", "[unit]") {
  TempDir dir;
  const fs::path path = dir.path() / "catalog.db";
  CatalogOptions quick;
  quick.busy_timeout = std::chrono::milliseconds(50);
  auto c = OpenOrDie(path, quick);
  auto other = SqliteDb::Open(path);
  REQUIRE(other.ok());
  {
    auto held = Transaction::Begin(**other);
    REQUIRE(held.ok());
    Status s = c->CommitSnapshot(Snap("s1", "n", 1), {Chunk(1)}, {Id(1)});
    CHECK(s.retryable());
    CHECK(c->ListSnapshots()->empty());  // readers are not blocked (WAL)
  }
  Commit(*c, Snap("s1", "n", 1), {Chunk(1)}, {Id(1)});
}

TEST_CASE("Catalog: a 10k-chunk commit completes well within a second", "[unit]") {
  TempDir dir;
  auto c = OpenOrDie(dir.path() / "catalog.db");
  constexpr std::uint32_t kChunks = 10'000;
  std::vector<NewChunk> news;
  std::vector<ChunkId> refs;
  for (std::uint32_t i = 0; i < kChunks; ++i) {
    news.push_back(Chunk(i));
    refs.push_back(Id(i));
  }
  const auto start = std::chrono::steady_clock::now();
  Commit(*c, Snap("big", "n", 1), news, refs);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  WARN("10k-chunk CommitSnapshot took " << ms << " ms");
  CHECK(ms < 1000);  // generous: the target is well under 100 ms
  const auto load_start = std::chrono::steady_clock::now();
  auto ids = c->AllChunkIds();
  const auto load_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - load_start)
                           .count();
  WARN("AllChunkIds over 10k chunks took " << load_ms << " ms");
  REQUIRE(ids.ok());
  CHECK(ids->size() == kChunks);
  CHECK(c->Stats()->chunk_count == kChunks);
}

}  // namespace
}  // namespace cairn
