#include "appliance/daemon/chunk_ingest.h"

#include <catch2/catch.hpp>

#include "appliance/daemon/chunk_access.h"
#include "core/crypto/chunk_hasher.h"
#include "core/store/chunk_reader.h"
#include "tests/appliance/daemon/ingest_test_fixture.h"

namespace cairn {
namespace {

using Fixture = test::IngestFixture;
using test::Frames;
using test::OneFileManifest;

TEST_CASE("ChunkIngest: a chunk whose content does not match its id is refused and not stored",
          "[integration][ingest]") {
  Fixture f;
  Bytes good(5000, 'g'), evil(5000, 'e');
  PayloadEncoder enc(3);
  ChunkBatchWriter w;
  const ChunkId good_id = f.IdOf(good);
  auto p1 = enc.Encode(good);
  REQUIRE(p1.ok());
  w.Add(good_id, *p1);
  // Claims to be `good` again under another id: the content of `evil` sent
  // under an id an attacker chose (here: the id of `good` with a bit flipped).
  ChunkId forged = good_id;
  forged.bytes[0] ^= 1;
  auto p2 = enc.Encode(evil);
  REQUIRE(p2.ok());
  w.Add(forged, *p2);
  const std::string body = w.Finish();
  auto accepted = f.ingest->Accept(Frames(body));
  REQUIRE_FALSE(accepted.ok());
  CHECK(accepted.error().IsInvalidArgument());
  CHECK(accepted.error().message().find("does not match its id") != std::string::npos);
  // The valid frame before it was kept; the forged one is missing.
  auto missing = f.ingest->Missing({good_id, forged});
  REQUIRE(missing.size() == 1);
  CHECK(missing[0] == forged);
  CHECK_FALSE(f.service->store().fs().Exists(f.service->store().ChunkPath(forged)).value());
}

TEST_CASE("ChunkIngest: a commit naming an unknown chunk is refused with the list, nothing visible",
          "[integration][ingest]") {
  Fixture f;
  Bytes a(3000, 'a');
  const ChunkId a_id = f.IdOf(a);
  ChunkId unknown = a_id;
  unknown.bytes[5] ^= 0xff;
  PayloadEncoder enc(3);
  ChunkBatchWriter w;
  auto p = enc.Encode(a);
  REQUIRE(p.ok());
  w.Add(a_id, *p);
  const std::string body = w.Finish();
  REQUIRE(f.ingest->Accept(Frames(body)).ok());
  auto outcome = f.ingest->Commit(OneFileManifest({{a_id, 3000}, {unknown, 10}}), "edge");
  REQUIRE(outcome.ok());
  REQUIRE(outcome->missing.size() == 1);
  CHECK(outcome->missing[0] == unknown);
  CHECK(outcome->snapshot_id.empty());
  CHECK(f.service->ListSnapshots(std::nullopt, std::nullopt)->empty());

  auto ok = f.ingest->Commit(OneFileManifest({{a_id, 3000}}), "edge");
  REQUIRE(ok.ok());
  REQUIRE(ok->missing.empty());
  CHECK(ok->chunks_new == 1);
  auto list = f.service->ListSnapshots(std::string("edge"), std::nullopt);
  REQUIRE(list.ok());
  REQUIRE(list->size() == 1);
  CHECK((*list)[0].cluster == "edge");
  CHECK(f.service->ListSnapshots(std::string("other"), std::nullopt)->empty());
}

TEST_CASE("ChunkIngest: received chunks count as present, and after a crash uncommitted ones are asked for again",
          "[integration][ingest]") {
  Fixture f;
  Bytes a(4000, 'x');
  const ChunkId id = f.IdOf(a);
  PayloadEncoder enc(3);
  ChunkBatchWriter w;
  auto p = enc.Encode(a);
  REQUIRE(p.ok());
  w.Add(id, *p);
  const std::string body = w.Finish();
  REQUIRE(f.ingest->Accept(Frames(body)).ok());
  CHECK(f.ingest->Missing({id}).empty());  // received: not asked again
  // A crash: the temporary never got its name; after the restart it is
  // missing again (the agent resends it) and a commit naming it is refused.
  f.Reopen();
  CHECK(f.ingest->Missing({id}).size() == 1);
  auto refused = f.ingest->Commit(OneFileManifest({{id, 4000}}), "edge");
  REQUIRE(refused.ok());
  CHECK(refused->missing.size() == 1);
  // Resent and committed: it reads back, sealed as uploaded, verified.
  REQUIRE(f.ingest->Accept(Frames(body)).ok());
  auto done = f.ingest->Commit(OneFileManifest({{id, 4000}}), "edge");
  REQUIRE(done.ok());
  REQUIRE(done->missing.empty());
  ChunkReader reader(f.service->store());
  auto back = reader.Read(id);
  REQUIRE(back.ok());
  CHECK(*back == a);
  // And the snapshot survives a restart, its chunk now in the catalog.
  f.Reopen();
  CHECK(f.ingest->Missing({id}).empty());
}

TEST_CASE("ChunkAccess: an agent reads only chunks its snapshot names", "[integration][ingest]") {
  Fixture f;
  Bytes a(2000, 'a'), b(2000, 'b');
  PayloadEncoder enc(3);
  ChunkBatchWriter w;
  for (const Bytes* x : {&a, &b}) {
    auto p = enc.Encode(*x);
    REQUIRE(p.ok());
    w.Add(f.IdOf(*x), *p);
  }
  const std::string body = w.Finish();
  REQUIRE(f.ingest->Accept(Frames(body)).ok());
  auto one = f.ingest->Commit(OneFileManifest({{f.IdOf(a), 2000}}), "c1");
  auto two = f.ingest->Commit(OneFileManifest({{f.IdOf(b), 2000}}), "c2");
  REQUIRE(one.ok());
  REQUIRE(two.ok());
  ChunkAccess access(*f.service);
  auto rec1 = f.service->Resolve(one->snapshot_id, std::string("c1"), std::nullopt);
  REQUIRE(rec1.ok());
  CHECK(access.ReadForSnapshot(*rec1, f.IdOf(a)).ok());
  auto foreign = access.ReadForSnapshot(*rec1, f.IdOf(b));
  REQUIRE_FALSE(foreign.ok());
  CHECK(foreign.error().IsNotFound());
  // Another cluster's snapshot cannot even be resolved.
  auto hidden = f.service->Resolve(two->snapshot_id, std::string("c1"), std::nullopt);
  REQUIRE_FALSE(hidden.ok());
  CHECK(hidden.error().IsNotFound());
}

}  // namespace
}  // namespace cairn
