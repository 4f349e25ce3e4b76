// The appliance's "verify" job (appliance/daemon/verify_job.cc): its options
// are checked, a damaged chunk is quarantined and the ingest forgets it --
// so a commit naming it asks the agent for it again instead of
// deduplicating against a file that is gone -- and once the agent has sent
// it again, the next verify finds the store sound.
#include <catch2/catch.hpp>
#include <fstream>

#include "appliance/daemon/maintenance_jobs.h"
#include "core/crypto/chunk_hasher.h"
#include "core/crypto/payload_codec.h"
#include "core/protocol/chunk_batch.h"
#include "core/scrub/scrub_catalog.h"
#include "tests/appliance/daemon/ingest_test_fixture.h"
#include "tests/appliance/daemon/test_appliance_core.h"
#include "tests/support/temp_dir.h"

namespace cairn {
namespace {

struct Fixture {
  TempDir dir;
  std::unique_ptr<ApplianceCore> core = test::MakeTestApplianceCore(dir.path());
  ApplianceServices& s = core->services();

  // As an agent uploads it: compressed, in a chunk batch.
  ChunkId Upload(const Bytes& plain) {
    ChunkHasher hasher(s.store.store().keys().id);
    PayloadEncoder encoder(3);
    const ChunkId id = hasher.Hash(plain);
    auto payload = encoder.Encode(plain);
    REQUIRE(payload.ok());
    ChunkBatchWriter writer;
    writer.Add(id, *payload);
    const std::string body = writer.Finish();
    REQUIRE(s.ingest.Accept(test::Frames(body)).ok());
    return id;
  }

  Result<CommitOutcome> Commit(const ChunkId& id, std::uint32_t len, const std::string& sid) {
    Manifest m = test::OneFileManifest({{id, len}});
    m.snapshot_id = sid;
    return s.ingest.Commit(std::move(m), "edge");
  }

  nlohmann::json RunJob(const nlohmann::json& options) {
    auto work = s.job_kinds.at("verify").make(options, s);
    REQUIRE(work.ok());
    auto id = s.jobs->Start("verify", options, "test", std::move(*work));
    REQUIRE(id.ok());
    s.jobs->WaitFor(*id);
    auto job = s.jobs->Get(*id);
    REQUIRE(job.has_value());
    INFO(job->dump());
    REQUIRE((*job)["state"] == "succeeded");
    return (*job)["result"];
  }
};

TEST_CASE("verify job: unknown or ill-typed options are refused; operators may start it",
          "[unit][scrub]") {
  Fixture f;
  const JobKind& kind = f.s.job_kinds.at("verify");
  CHECK(kind.permission == Permission::kRestore);
  for (const char* bad :
       {R"({"bogus": 1})", R"({"unverified_days": -1})", R"({"unverified_days": 99999})",
        R"({"unverified_days": "7"})", R"({"heal": "yes"})"}) {
    INFO(bad);
    auto work = kind.make(nlohmann::json::parse(bad), f.s);
    REQUIRE_FALSE(work.ok());
    CHECK(work.error().code() == Status::Code::kInvalidArgument);
  }
  CHECK(kind.make(nlohmann::json::parse(R"({"unverified_days": 7, "heal": false})"), f.s).ok());
}

TEST_CASE(
    "verify job: a damaged chunk is quarantined and forgotten by the ingest; sent again, "
    "the store is sound",
    "[integration][scrub]") {
  Fixture f;
  const Bytes plain(20000, 'q');
  const ChunkId id = f.Upload(plain);
  auto first = f.Commit(id, 20000, "1111111111111111");
  REQUIRE(first.ok());
  REQUIRE(first->missing.empty());

  {
    std::fstream file(f.s.store.store().ChunkPath(id),
                      std::ios::in | std::ios::out | std::ios::binary);
    REQUIRE(file);
    file.seekp(50);
    file.put('\x00');
    file.seekp(51);
    file.put('\xff');
  }
  const nlohmann::json result = f.RunJob(nlohmann::json::object());
  CHECK(result["sound"] == false);
  CHECK(result["heal"] == true);
  CHECK(result["heal_sources"] == 0);  // no replication targets
  REQUIRE(result["damaged"].size() == 1);
  CHECK(result["damaged"][0]["chunk"] == id.Hex());
  CHECK(result["damaged"][0]["snapshots"][0]["id"] == first->snapshot_id);
  CHECK(result["damaged"][0]["snapshots"][0]["files"][0] == "f");
  CHECK_FALSE(fs::exists(f.s.store.store().ChunkPath(id)));
  auto check =
      f.s.store.WithCatalog([&](Catalog& c) { return GetSnapshotCheck(c, first->snapshot_id); });
  REQUIRE(check.ok());
  REQUIRE(check->has_value());
  CHECK((*check)->state == "damaged");

  // The ingest no longer counts the chunk as present.
  auto second = f.Commit(id, 20000, "2222222222222222");
  REQUIRE(second.ok());
  CHECK(second->missing == std::vector<ChunkId>{id});
  f.Upload(plain);
  auto third = f.Commit(id, 20000, "3333333333333333");
  REQUIRE(third.ok());
  CHECK(third->missing.empty());

  const nlohmann::json again = f.RunJob({{"unverified_days", 30}});
  CHECK(again["sound"] == true);
  CHECK(again["damaged"].empty());
  CHECK(again["chunks_checked"] == 1);  // the chunk, sent again, never verified since
  auto rows = f.s.store.WithCatalog([](Catalog& c) { return QuarantinedChunkIds(c); });
  REQUIRE(rows.ok());
  CHECK(rows->empty());
}

}  // namespace
}  // namespace cairn
