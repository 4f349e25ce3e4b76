// Garbage collection inside the appliance (IngestGcEnvironment): chunks an
// agent has uploaded but not yet committed are never swept, and a swept
// chunk stops being "present" so the agent sends it again.
#include "appliance/daemon/ingest_gc_environment.h"

#include <catch2/catch.hpp>

#include "core/engine/verify.h"
#include "core/gc/garbage_collector.h"
#include "tests/appliance/daemon/ingest_test_fixture.h"

namespace cairn {
namespace {

// The ingest fixture, plus uploads and commits as an agent makes them and a
// GC run through the appliance's environment.
struct Fixture : test::IngestFixture {
  // Uploads `chunks`; returns their ids.
  std::vector<ChunkId> Upload(const std::vector<Bytes>& chunks) {
    PayloadEncoder encoder(3);
    ChunkBatchWriter writer;
    std::vector<ChunkId> ids;
    for (const Bytes& plain : chunks) {
      ids.push_back(IdOf(plain));
      auto payload = encoder.Encode(plain);
      REQUIRE(payload.ok());
      writer.Add(ids.back(), *payload);
    }
    const std::string body = writer.Finish();
    REQUIRE(ingest->Accept(test::Frames(body)).ok());
    return ids;
  }

  Result<CommitOutcome> Commit(const std::vector<std::pair<ChunkId, std::uint32_t>>& chunks) {
    return ingest->Commit(test::OneFileManifest(chunks), "edge");
  }

  Result<GcReport> Gc() {
    IngestGcEnvironment env(*service, *ingest);
    return RunGarbageCollection(store(), env, GcOptions{});
  }

  void AgeChunkFiles() {
    const auto when = fs::file_time_type::clock::now() - std::chrono::hours(2);
    for (auto& p : fs::recursive_directory_iterator(store().dir() / "chunks")) {
      if (p.is_regular_file()) fs::last_write_time(p.path(), when);
    }
  }
};

TEST_CASE(
    "IngestGcEnvironment: a chunk uploaded but not yet committed is never swept, and its "
    "commit then succeeds",
    "[integration][gc]") {
  Fixture f;
  const Bytes x(5000, 'x'), y(6000, 'y'), z(7000, 'z');
  // Before a restart: X and Y arrive and reach their final names, and the
  // agent's commit never comes -- two chunk files with no catalog row.
  const std::vector<ChunkId> xy = f.Upload({x, y});
  REQUIRE(f.store().CommitChunks().ok());
  f.Reopen();
  // After it: the agent resumes, sends X again (the file is there already)
  // and Z (a temporary until the commit).
  const ChunkId x_id = f.Upload({x}).front();
  const ChunkId z_id = f.Upload({z}).front();
  f.AgeChunkFiles();  // all of it older than GC's cutoff

  auto report = f.Gc();
  REQUIRE(report.ok());
  CHECK(report->chunks_freed == 1);       // Y: nobody will commit it
  CHECK(report->kept_referenced == 1);    // X: in flight
  CHECK(report->temporaries_freed == 0);  // Z: this process's own temporary
  CHECK(fs::exists(f.store().ChunkPath(x_id)));
  CHECK_FALSE(fs::exists(f.store().ChunkPath(xy[1])));

  auto committed = f.Commit({{x_id, 5000}, {z_id, 7000}});
  REQUIRE(committed.ok());
  CHECK(committed->missing.empty());
  CHECK(committed->chunks_new == 2);
  auto verified = RunVerify(f.store());
  REQUIRE(verified.ok());
  CHECK(verified->sound());
  CHECK(verified->snapshots == 1);
}

TEST_CASE(
    "IngestGcEnvironment: a swept chunk is no longer present, so a commit naming it asks "
    "for it again",
    "[integration][gc]") {
  Fixture f;
  const Bytes w(9000, 'w');
  const ChunkId w_id = f.Upload({w}).front();
  auto first = f.Commit({{w_id, 9000}});
  REQUIRE(first.ok());
  REQUIRE(first->missing.empty());
  const std::string snapshot = first->snapshot_id;
  REQUIRE(f.service
              ->WithCatalog([&](Catalog& c) -> Status {
                CAIRN_RETURN_IF_ERROR(
                    c.BeginSnapshotDeletion(snapshot, DefaultClock().NowUnixNanos()));
                CAIRN_RETURN_IF_ERROR(
                    f.store().fs().RemoveFile(f.store().ManifestPath("vol", snapshot)));
                return c.FinishSnapshotDeletion(snapshot, {w_id});
              })
              .ok());
  REQUIRE(f.ingest->Missing({w_id}).empty());  // still present until swept
  f.AgeChunkFiles();
  auto report = f.Gc();
  REQUIRE(report.ok());
  CHECK(report->chunks_freed == 1);
  CHECK(f.ingest->Missing({w_id}) == std::vector<ChunkId>{w_id});

  auto refused = f.Commit({{w_id, 9000}});
  REQUIRE(refused.ok());
  CHECK(refused->missing == std::vector<ChunkId>{w_id});
  f.Upload({w});
  auto second = f.Commit({{w_id, 9000}});
  REQUIRE(second.ok());
  CHECK(second->missing.empty());
  auto verified = RunVerify(f.store());
  REQUIRE(verified.ok());
  CHECK(verified->sound());
}

}  // namespace
}  // namespace cairn
