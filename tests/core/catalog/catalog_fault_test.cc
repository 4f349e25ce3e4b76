// Fault tests for the catalog: the fail matrix over CommitSnapshot (Beast's
// pattern: fail statement n, n = 0, 1, 2, ... until the call succeeds) and
// damaged files.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/catalog/catalog.h"
#include "tests/support/temp_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;


std::unique_ptr<Catalog> OpenOrDie(const fs::path& path) {
  auto catalog = Catalog::Open(path);
  INFO(catalog.status().ToString());
  REQUIRE(catalog.ok());
  return std::move(catalog).value();
}

ChunkId Id(std::uint32_t n) {
  ChunkId id;
  PutU32(id.bytes.data(), n);
  return id;
}

NewChunk Chunk(std::uint32_t n) { return {Id(n), 100 * n, 60 * n}; }

SnapshotRecord Snap(std::string id, std::int64_t created) {
  SnapshotRecord r;
  r.id = std::move(id);
  r.name = "host:/data";
  r.created_unix_ns = created;
  r.file_count = 4;
  r.bytes_read = 4096;
  r.tags = {"t"};
  return r;
}

// Everything a reader can see, for before/after comparisons.
struct Visible {
  std::vector<SnapshotRecord> snapshots;
  std::vector<ChunkRecord> chunks;
  friend bool operator==(const Visible&, const Visible&) = default;
};

Visible ReadAll(Catalog& c) {
  Visible v;
  auto snaps = c.ListSnapshots();
  REQUIRE(snaps.ok());
  v.snapshots = *snaps;
  auto ids = c.AllChunkIds();
  REQUIRE(ids.ok());
  for (const ChunkId& id : *ids) {
    auto rec = c.GetChunk(id);
    REQUIRE(rec.ok());
    REQUIRE(rec->has_value());
    v.chunks.push_back(**rec);
  }
  return v;
}

void Overwrite(const fs::path& path, std::uint64_t offset, std::size_t n) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(f.good());
  f.seekp(static_cast<std::streamoff>(offset));
  const std::string garbage(n, '\xA5');
  f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  REQUIRE(f.good());
}

bool HasRebuildHint(const Status& s) {
  return s.message().find("damaged") != std::string::npos &&
         s.message().find("cairnctl catalog rebuild") != std::string::npos;
}

TEST_CASE("Catalog: a commit failing after any number of statements leaves no torn row",
          "[unit][fault]") {
  TempDir dir;
  const fs::path path = dir.path() / "catalog.db";
  {
    auto c = OpenOrDie(path);
    Status s =
        c->CommitSnapshot(Snap("s1", 1), {Chunk(1), Chunk(2), Chunk(3)}, {Id(1), Id(2), Id(3)});
    REQUIRE(s.ok());
  }
  // s2 re-sends chunk 3 as new (INSERT OR IGNORE), adds 4 and 5, references
  // 2..5 with a duplicate: BEGIN + snapshot + 3 inserts + 4 updates + COMMIT.
  const std::vector<NewChunk> news = {Chunk(3), Chunk(4), Chunk(5)};
  const std::vector<ChunkId> refs = {Id(2), Id(3), Id(4), Id(5), Id(4)};
  const int kStatements = 1 + 1 + 3 + 4 + 1;

  auto c = OpenOrDie(path);
  const Visible before = ReadAll(*c);
  REQUIRE(before.snapshots.size() == 1);
  REQUIRE(before.chunks.size() == 3);

  int n = 0;
  for (;; ++n) {
    REQUIRE(n <= kStatements);  // the loop must end by succeeding
    c->TEST_FailCommitAfterStatements(n);
    Status s = c->CommitSnapshot(Snap("s2", 2), news, refs);
    if (s.ok()) break;
    INFO("failing before statement " << n << ": " << s.ToString());
    CHECK(s.code() == Status::Code::kIoError);
    CHECK(s.message().find("injected failure before statement " + std::to_string(n)) !=
          std::string::npos);
    CHECK(ReadAll(*c) == before);
    CHECK_FALSE(c->HasChunk(Id(4)).value());
    // What is on disk agrees: a fresh connection sees the same.
    c.reset();
    c = OpenOrDie(path);
    CHECK(ReadAll(*c) == before);
  }
  CHECK(n == kStatements);  // every statement, COMMIT included, was a failure point

  const Visible after = ReadAll(*c);
  REQUIRE(after.snapshots.size() == 2);
  CHECK(after.snapshots[1].id == "s2");
  REQUIRE(after.chunks.size() == 5);
  const std::vector<std::uint64_t> refcounts = {1, 2, 2, 1, 1};
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(after.chunks[i].id == Id(static_cast<std::uint32_t>(i + 1)));
    CHECK(after.chunks[i].refcount == refcounts[i]);
  }
  CHECK(after.chunks[2].plain_size == 300);  // the re-sent chunk kept its row

  c.reset();
  c = OpenOrDie(path);
  CHECK(ReadAll(*c) == after);
}

TEST_CASE("Catalog: a garbage file header is Corruption with the rebuild hint", "[unit][fault]") {
  TempDir dir;
  const fs::path path = dir.path() / "catalog.db";
  {
    auto c = OpenOrDie(path);
    REQUIRE(c->CommitSnapshot(Snap("s1", 1), {Chunk(1)}, {Id(1)}).ok());
  }
  REQUIRE_FALSE(fs::exists(path.string() + "-wal"));  // checkpointed into the file on close
  Overwrite(path, 0, 100);
  auto c = Catalog::Open(path);
  REQUIRE_FALSE(c.ok());
  INFO(c.error().ToString());
  CHECK(c.error().IsCorruption());
  CHECK(HasRebuildHint(c.error()));
  CHECK(c.error().message().find(path.string()) != std::string::npos);
}

TEST_CASE("Catalog: a file that is not SQLite at all is Corruption with the rebuild hint",
          "[unit][fault]") {
  TempDir dir;
  const fs::path path = dir.path() / "catalog.db";
  {
    std::ofstream f(path, std::ios::binary);
    f << std::string(8192, 'x');
  }
  auto c = Catalog::Open(path);
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().IsCorruption());
  CHECK(HasRebuildHint(c.error()));
}

TEST_CASE("Catalog: damaged table pages are Corruption on use and never a crash", "[unit][fault]") {
  TempDir dir;
  const fs::path path = dir.path() / "catalog.db";
  std::uint64_t page_size = 0;
  std::uintmax_t schema_bytes = 0;
  // The schema (several pages since v2) is written before any row; what the
  // file grows by afterwards is table data.
  { auto c = OpenOrDie(path); }
  schema_bytes = fs::file_size(path);
  {
    auto c = OpenOrDie(path);
    std::vector<NewChunk> news;
    std::vector<ChunkId> refs;
    for (std::uint32_t i = 1; i <= 500; ++i) {
      news.push_back(Chunk(i));
      refs.push_back(Id(i));
    }
    REQUIRE(c->CommitSnapshot(Snap("s1", 1), news, refs).ok());
    // Enough rows that the snapshots table outgrows its root page (which
    // sits among the schema pages, kept intact below).
    for (int i = 2; i <= 200; ++i) {
      REQUIRE(c->CommitSnapshot(Snap("s" + std::to_string(i), i), {}, {Id(1)}).ok());
    }
  }
  {
    std::ifstream f(path, std::ios::binary);
    unsigned char header[18];
    f.read(reinterpret_cast<char*>(header), sizeof header);
    REQUIRE(f.good());
    page_size = (std::uint64_t{header[16]} << 8) | header[17];
  }
  // Keep the header and schema pages intact; the data pages become garbage.
  const auto size = fs::file_size(path);
  REQUIRE(page_size > 0);
  REQUIRE(size > schema_bytes);
  Overwrite(path, schema_bytes, static_cast<std::size_t>(size - schema_bytes));

  // Open reads only the header and schema, so it succeeds; the damage
  // shows when a query walks a table.
  auto opened = Catalog::Open(path);
  INFO(opened.status().ToString());
  REQUIRE(opened.ok());
  auto& c = *opened;
  auto ids = c->AllChunkIds();
  REQUIRE_FALSE(ids.ok());
  CHECK(ids.error().IsCorruption());
  CHECK(HasRebuildHint(ids.error()));
  auto snaps = c->ListSnapshots();
  REQUIRE_FALSE(snaps.ok());
  CHECK(snaps.error().IsCorruption());
}

}  // namespace
}  // namespace cairn
