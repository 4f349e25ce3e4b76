// Scrub: damaged chunks (bytes flipped, truncated, deleted) are found,
// quarantined, attributed to their snapshots and files, and healed from a
// replica whose copy proves -- never from one whose copy does not; and the
// "not verified for N days" selection.
#include "core/scrub/scrub.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <set>

#include "core/catalog/catalog_access.h"
#include "core/catalog/sqlite_db.h"
#include "core/catalog/sqlite_statement.h"
#include "core/engine/verify.h"
#include "core/scrub/quarantine.h"
#include "core/scrub/scrub_catalog.h"
#include "sync/engine/replica_chunk_source.h"
#include "sync/target/directory_target.h"
#include "tests/core/engine/engine_test_util.h"
#include "tests/support/sample_tree.h"

namespace cairn {
namespace {

struct ScrubFixture {
  TempDir tmp;
  fs::path dir = tmp.path() / "store";
  fs::path key = tmp.path() / "store.key";
  fs::path replica = tmp.path() / "replica";
  std::unique_ptr<Store> store;

  ScrubFixture() {
    StoreOptions options;
    options.chunker = ChunkerParams{4 * 1024, 16 * 1024, 64 * 1024};  // many small chunks
    REQUIRE(Store::Init(DefaultFileSystem(), dir, key, options).ok());
    auto s = Store::Open(DefaultFileSystem(), dir, KeySource{key, std::nullopt});
    REQUIRE(s.ok());
    store = std::move(*s);
  }

  fs::path Source(const std::string& name, std::uint64_t seed, int files = 3) const {
    fs::path src = tmp.path() / ("src-" + name);
    fs::create_directories(src);
    for (int i = 0; i < files; ++i) {
      WriteSeededFile(src / ("file" + std::to_string(seed + i) + ".bin"), 150 * 1024, seed + i);
    }
    return src;
  }

  std::string Backup(const fs::path& src, const std::string& name) {
    auto r = StoreFixture::Backup(*store, src, name);
    REQUIRE(r.ok());
    return r->snapshot_id;
  }

  std::vector<ChunkId> Chunks(const std::string& name, const std::string& snapshot_id) {
    auto m = store->ReadManifest(name, snapshot_id);
    REQUIRE(m.ok());
    std::set<ChunkId> ids;
    for (const TreeEntry& e : m->entries) {
      for (const ChunkSlice& s : e.content) ids.insert(s.id);
    }
    return {ids.begin(), ids.end()};
  }

  // A replica directory laid out as the store (ReplicaLayout) with a good
  // copy of every chunk written so far.
  void CopyToReplica() {
    fs::create_directories(replica);
    fs::copy(dir / "chunks", replica / "chunks",
             fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  }

  std::unique_ptr<ChunkHealSource> ReplicaSource() {
    return std::make_unique<ReplicaTargetChunkSource>(
        "directory target good", std::make_unique<DirectoryTarget>(DefaultFileSystem(), replica));
  }

  Result<ScrubReport> Scrub(ChunkHealSource* heal, ScrubOptions options = {}) {
    if (options.threads == 0) options.threads = 2;
    return RunScrub(*store, DirectCatalogAccess(store->catalog()), options, heal);
  }

  std::string ReadFile(const fs::path& p) const {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
};

void FlipByte(const fs::path& p, std::size_t at) {
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(f);
  f.seekg(static_cast<std::streamoff>(at));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(~c);  // always a change
  f.seekp(static_cast<std::streamoff>(at));
  f.write(&c, 1);
}

// A source that returns bytes which are not the chunk asked for: another
// chunk's genuine sealed bytes (the most convincing lie: it authenticates
// under the store's key, but with another id), or noise.
class LyingSource final : public ChunkHealSource {
 public:
  explicit LyingSource(Bytes bytes) : bytes_(std::move(bytes)) {}
  std::string name() const override { return "liar"; }
  Result<std::optional<Bytes>> FetchSealedChunk(const ChunkId&) override {
    ++fetches;
    return std::optional<Bytes>(bytes_);
  }
  int fetches = 0;

 private:
  Bytes bytes_;
};

std::size_t QuarantineRows(Store& store) {
  auto ids = QuarantinedChunkIds(store.catalog());
  REQUIRE(ids.ok());
  return ids->size();
}

TEST_CASE(
    "Scrub: flipped, truncated and deleted chunks are found, quarantined, named and healed "
    "from a replica",
    "[integration][scrub]") {
  ScrubFixture f;
  const fs::path src_a = f.Source("a", 1);
  const fs::path src_b = f.Source("b", 20);
  const std::string a = f.Backup(src_a, "set-a");
  const std::string b = f.Backup(src_b, "set-b");
  f.CopyToReplica();
  const std::vector<ChunkId> chunks_a = f.Chunks("set-a", a);
  REQUIRE(chunks_a.size() >= 6);
  const ChunkId flipped = chunks_a[0], truncated = chunks_a[2], deleted = chunks_a[4];
  FlipByte(f.store->ChunkPath(flipped), 100);
  fs::resize_file(f.store->ChunkPath(truncated), fs::file_size(f.store->ChunkPath(truncated)) / 2);
  fs::remove(f.store->ChunkPath(deleted));

  ReplicaChunkSource replicas;
  replicas.Add(f.ReplicaSource());
  std::vector<ChunkId> forgotten;
  ScrubOptions options;
  options.on_quarantined = [&](const ChunkId& id) { forgotten.push_back(id); };
  JobProgress progress;
  auto report =
      RunScrub(*f.store, DirectCatalogAccess(f.store->catalog()), options, &replicas, &progress);
  REQUIRE(report.ok());
  CHECK(report->snapshots == 2);
  CHECK(report->chunks_checked == report->chunks_referenced);
  CHECK(progress.chunks_done == report->chunks_checked);
  CHECK(progress.problems == 3);
  REQUIRE(report->damaged.size() == 3);
  CHECK(report->healed == 3);
  CHECK(report->sound());
  CHECK(std::set<ChunkId>(forgotten.begin(), forgotten.end()) ==
        std::set<ChunkId>{flipped, truncated, deleted});

  for (const ScrubbedChunk& c : report->damaged) {
    INFO(c.damage.id.Hex() << ": " << c.damage.problem);
    CHECK(c.healed_from == "directory target good");
    REQUIRE(c.damage.used_by.size() == 1);
    CHECK(c.damage.used_by[0].snapshot_id == a);
    CHECK(c.damage.used_by[0].name == "set-a");
    REQUIRE_FALSE(c.damage.used_by[0].files.empty());
    CHECK(c.damage.used_by[0].files[0].find(".bin") != std::string::npos);
    if (c.damage.id == deleted) {
      CHECK(c.quarantined_as.empty());
      CHECK(c.damage.problem.find("missing") != std::string::npos);
    } else {
      // The damaged bytes are kept as evidence, under quarantine/.
      CHECK(fs::exists(c.quarantined_as));
      CHECK(fs::path(c.quarantined_as).parent_path() == f.dir / kQuarantineDir);
      CHECK(fs::path(c.quarantined_as).filename().string().starts_with(c.damage.id.Hex() + "."));
      CHECK(f.ReadFile(c.quarantined_as) != f.ReadFile(f.store->ChunkPath(c.damage.id)));
    }
    // The healed file is the replica's copy, byte for byte.
    const std::string rel = f.store->ChunkPath(c.damage.id).lexically_relative(f.dir).string();
    CHECK(f.ReadFile(f.store->ChunkPath(c.damage.id)) == f.ReadFile(f.replica / rel));
  }

  // The catalog: snapshot A healed (3 of 3), B ok, no quarantine rows left.
  auto check_a = GetSnapshotCheck(f.store->catalog(), a);
  REQUIRE(check_a.ok());
  REQUIRE(check_a->has_value());
  CHECK((*check_a)->state == "healed");
  CHECK((*check_a)->damaged_chunks == 3);
  CHECK((*check_a)->healed_chunks == 3);
  CHECK((*check_a)->detail.find("directory target good") != std::string::npos);
  auto check_b = GetSnapshotCheck(f.store->catalog(), b);
  REQUIRE(check_b.ok());
  REQUIRE(check_b->has_value());
  CHECK((*check_b)->state == "ok");
  CHECK(QuarantineRows(*f.store) == 0);
  auto rec = f.store->catalog().GetChunk(deleted);
  REQUIRE(rec.ok());
  CHECK((*rec)->verified_unix_ns.has_value());

  // Sound again: verify, a second scrub, and a bit-for-bit restore.
  auto verified = RunVerify(*f.store, 2);
  REQUIRE(verified.ok());
  CHECK(verified->sound());
  auto again = f.Scrub(&replicas);
  REQUIRE(again.ok());
  CHECK(again->damaged.empty());
  CHECK(again->sound());
  auto restored = StoreFixture::Restore(*f.store, a, f.tmp.path() / "out");
  REQUIRE(restored.ok());
  CHECK(DiffTrees(src_a, f.tmp.path() / "out") == "");

  auto json = ScrubReportToJson(*report);
  CHECK(json["healed"] == 3);
  CHECK(json["unhealed"] == 0);
  CHECK(json["damaged"].size() == 3);
  CHECK(json["damaged"][0]["snapshots"][0]["id"] == a);
}

TEST_CASE("Scrub: a copy that does not prove is refused and never written; the next source heals",
          "[integration][scrub]") {
  ScrubFixture f;
  const fs::path src = f.Source("a", 1);
  const std::string a = f.Backup(src, "set-a");
  f.CopyToReplica();
  const std::vector<ChunkId> chunks = f.Chunks("set-a", a);
  const ChunkId victim = chunks[1];
  auto other = f.store->ReadSealedChunk(chunks[3]);
  REQUIRE(other.ok());
  fs::remove(f.store->ChunkPath(victim));

  SECTION("another chunk's genuine bytes, then a good replica") {
    ReplicaChunkSource sources;
    auto liar = std::make_unique<LyingSource>(*other);
    LyingSource* liar_ptr = liar.get();
    sources.Add(std::move(liar));
    sources.Add(f.ReplicaSource());
    auto report = f.Scrub(&sources);
    REQUIRE(report.ok());
    REQUIRE(report->damaged.size() == 1);
    const ScrubbedChunk& c = report->damaged[0];
    CHECK(liar_ptr->fetches == 1);
    REQUIRE(c.heal_attempts.size() == 1);
    CHECK(c.heal_attempts[0].starts_with("liar: refused"));
    CHECK(c.healed_from == "directory target good");
    CHECK(report->sound());
  }

  SECTION("only liars: nothing is written, the damage stays named") {
    const Bytes noise(other->size(), 0x5a);
    LyingSource genuine_other(*other), random_bytes(noise);
    for (LyingSource* liar : {&genuine_other, &random_bytes}) {
      auto report = f.Scrub(liar);
      REQUIRE(report.ok());
      REQUIRE(report->damaged.size() == 1);
      const ScrubbedChunk& c = report->damaged[0];
      CHECK_FALSE(c.healed());
      CHECK(c.heal_attempts.size() == 1);
      CHECK_FALSE(report->sound());
      CHECK(report->unhealed() == 1);
      REQUIRE(c.damage.used_by.size() == 1);
      CHECK(c.damage.used_by[0].snapshot_id == a);
      CHECK_FALSE(c.damage.used_by[0].files.empty());
      CHECK_FALSE(fs::exists(f.store->ChunkPath(victim)));  // never written
    }
    auto check = GetSnapshotCheck(f.store->catalog(), a);
    REQUIRE(check.ok());
    REQUIRE(check->has_value());
    CHECK((*check)->state == "damaged");
    CHECK((*check)->damaged_chunks == 1);
    CHECK((*check)->healed_chunks == 0);
    CHECK(QuarantineRows(*f.store) == 1);

    // A quarantined chunk is not offered for deduplication, so the next
    // backup of the same content writes it again, and the scrub clears it.
    auto ids = f.store->catalog().AllChunkIds();
    REQUIRE(ids.ok());
    CHECK(std::find(ids->begin(), ids->end(), victim) == ids->end());
    CHECK(ids->size() == chunks.size() - 1);
    // (Another name: the files cache of "set-a" would reuse the old
    // manifest's chunk list without reading the file.)
    f.Backup(src, "set-a-again");
    CHECK(fs::exists(f.store->ChunkPath(victim)));
    auto healed = f.Scrub(nullptr);
    REQUIRE(healed.ok());
    CHECK(healed->damaged.empty());
    CHECK(QuarantineRows(*f.store) == 0);
    auto check2 = GetSnapshotCheck(f.store->catalog(), a);
    REQUIRE(check2.ok());
    CHECK((*check2)->state == "ok");
  }
}

TEST_CASE("Scrub: a replica object larger than any sealed chunk is refused",
          "[integration][scrub]") {
  ScrubFixture f;
  const fs::path src = f.Source("a", 1, 1);
  const std::string a = f.Backup(src, "set-a");
  f.CopyToReplica();
  const ChunkId victim = f.Chunks("set-a", a)[0];
  const fs::path big = f.replica / f.store->ChunkPath(victim).lexically_relative(f.dir);
  fs::resize_file(big, Store::kMaxSealedChunkBytes + 1);
  FlipByte(f.store->ChunkPath(victim), 40);

  auto source = f.ReplicaSource();
  auto fetched = source->FetchSealedChunk(victim);
  CHECK_FALSE(fetched.ok());
  auto report = f.Scrub(source.get());
  REQUIRE(report.ok());
  REQUIRE(report->damaged.size() == 1);
  CHECK_FALSE(report->damaged[0].healed());
  CHECK(fs::exists(report->damaged[0].quarantined_as));
  CHECK_FALSE(fs::exists(f.store->ChunkPath(victim)));
}

TEST_CASE("Scrub: unverified_days checks only chunks not verified for that long",
          "[integration][scrub]") {
  ScrubFixture f;
  FakeClock clock(1'700'000'000'000'000'000);
  const std::int64_t day = 86'400'000'000'000;
  const std::string a = f.Backup(f.Source("a", 1), "set-a");
  ScrubOptions options;
  options.clock = &clock;
  auto first = f.Scrub(nullptr, options);  // verifies everything at t0
  REQUIRE(first.ok());
  const std::vector<ChunkId> old_chunks = f.Chunks("set-a", a);
  CHECK(first->chunks_checked == old_chunks.size());

  const std::string b = f.Backup(f.Source("b", 50), "set-b");  // new chunks, never verified
  const std::vector<ChunkId> new_chunks = f.Chunks("set-b", b);
  clock.Advance(3 * day);
  // Damage an old chunk verified 3 days ago: a 7-day scrub must not look at it.
  FlipByte(f.store->ChunkPath(old_chunks[0]), 60);
  // And make another old chunk's last verification 10 days old.
  {
    auto stmt =
        f.store->catalog().db().Prepare("UPDATE chunks SET verified_unix_ns = ?1 WHERE id = ?2");
    REQUIRE(stmt.ok());
    REQUIRE(stmt->BindInt64(1, clock.NowUnixNanos() - 10 * day).ok());
    REQUIRE(stmt->BindBlob(2, old_chunks[1].bytes).ok());
    REQUIRE(stmt->Run().ok());
  }

  options.unverified_days = 7;
  auto partial = f.Scrub(nullptr, options);
  REQUIRE(partial.ok());
  CHECK(partial->chunks_referenced == old_chunks.size() + new_chunks.size());
  CHECK(partial->chunks_checked == new_chunks.size() + 1);
  CHECK(partial->chunks_skipped == old_chunks.size() - 1);
  CHECK(partial->damaged.empty());  // the damaged chunk was verified recently

  options.unverified_days = 2;
  auto wide = f.Scrub(nullptr, options);
  REQUIRE(wide.ok());
  // Only what the 7-day run just verified is skipped; the damaged chunk,
  // last verified 3 days ago, is checked now.
  CHECK(wide->chunks_skipped == new_chunks.size() + 1);
  CHECK(wide->chunks_checked == old_chunks.size() - 1);
  REQUIRE(wide->damaged.size() == 1);
  CHECK(wide->damaged[0].damage.id == old_chunks[0]);

  // A quarantined chunk is always due, however recently it was verified.
  options.unverified_days = 7;
  auto again = f.Scrub(nullptr, options);
  REQUIRE(again.ok());
  REQUIRE(again->damaged.size() == 1);
  CHECK(again->damaged[0].damage.id == old_chunks[0]);
}

}  // namespace
}  // namespace cairn

namespace cairn {
namespace {

TEST_CASE(
    "A backup after verify quarantined a chunk reads the unchanged files that used it again, so "
    "the new snapshot is whole and the chunk is back",
    "[integration][scrub]") {
  ScrubFixture f;
  const fs::path src = f.Source("a", 1);
  const std::string first_id = f.Backup(src, "set-a");
  const ChunkId damaged = f.Chunks("set-a", first_id)[1];
  FlipByte(f.store->ChunkPath(damaged), 100);
  auto first = f.Scrub(nullptr);
  REQUIRE(first.ok());
  REQUIRE(first->unhealed() == 1);
  REQUIRE(QuarantineRows(*f.store) == 1);

  // Nothing changed in the source: the files cache would reuse every file.
  auto again = StoreFixture::Backup(*f.store, src, "set-a");
  REQUIRE(again.ok());
  CHECK(again->figures.files_unchanged == 2);  // three files, one read again
  REQUIRE(again->warnings.size() == 1);
  CHECK_THAT(again->warnings[0], Catch::Contains("1 unchanged file(s) read again"));
  CHECK(fs::exists(f.store->ChunkPath(damaged)));

  auto second = f.Scrub(nullptr);
  REQUIRE(second.ok());
  CHECK(second->sound());
}

}  // namespace
}  // namespace cairn
