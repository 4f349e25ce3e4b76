// ReplicationCatalog: the replica lock columns (schema v5) -- retention is
// recorded only ever growing -- and target specs stored before issue 6.
#include <catch2/catch.hpp>

#include <mutex>

#include "core/base/log.h"
#include "core/catalog/sqlite_db.h"
#include "tests/sync/engine/replication_test_util.h"

namespace cairn {
namespace {

ChunkId Id(std::uint8_t b) {
  ChunkId id;
  id.bytes.fill(b);
  return id;
}

TEST_CASE("ReplicationCatalog: a chunk's recorded retain-until only grows", "[integration]") {
  ReplicationFixture f;
  REQUIRE(f.catalog->AddTarget(f.Spec()).ok());
  REQUIRE(f.catalog->RecordChunks("dr", {Id(1), Id(2)}).ok());
  REQUIRE(f.catalog->RecordChunks("dr", {Id(2), Id(3)}, 5'000'000'000).ok());
  REQUIRE(f.catalog->RecordChunks("dr", {Id(3)}, 2'000'000'000).ok());  // earlier: kept at 5 s
  REQUIRE(f.catalog->RecordChunks("dr", {Id(1)}, 0).ok());
  auto known = f.catalog->KnownChunks("dr");
  REQUIRE(known.ok());
  CHECK(known->size() == 3);
  CHECK(known->at(Id(1)) == 0);
  CHECK(known->at(Id(2)) == 5'000'000'000);
  CHECK(known->at(Id(3)) == 5'000'000'000);
}

TEST_CASE("ReplicationCatalog: a replica's lock is recorded with the snapshot and only raised",
          "[integration]") {
  ReplicationFixture f;
  REQUIRE(f.catalog->AddTarget(f.Spec()).ok());
  REQUIRE(f.catalog->MarkSnapshotReplicated("dr", "00000000000000aa", 10, 7'000).ok());
  REQUIRE(f.catalog->RaiseReplicaLock("dr", "00000000000000aa", 9'000).ok());
  REQUIRE(f.catalog->RaiseReplicaLock("dr", "00000000000000aa", 8'000).ok());
  auto held = f.catalog->ReplicatedSnapshots("dr");
  REQUIRE(held.ok());
  REQUIRE(held->size() == 1);
  CHECK((*held)[0].lock_until_unix_ns == 9'000);
  CHECK((*held)[0].bytes_sent == 10);
  Status absent = f.catalog->RaiseReplicaLock("dr", "00000000000000bb", 9'000);
  CHECK(absent.IsNotFound());
}

TEST_CASE(
    "ReplicationCatalog: a target stored with object_lock_days still loads, with one warning "
    "per target",
    "[integration]") {
  ReplicationFixture f;
  REQUIRE(f.catalog->AddTarget(f.S3Spec()).ok());
  REQUIRE(f.catalog->AddTarget([&] {
                     TargetSpec t = f.Spec();
                     t.name = "usb";
                     return t;
                   }())
              .ok());
  // As an older cairn wrote it.
  REQUIRE(f.store->catalog()
              .db()
              .Exec("UPDATE replication_targets SET spec = json_set(spec, "
                    "'$.s3.object_lock_days', 30) WHERE name = 'dr'")
              .ok());
  std::mutex mu;
  std::vector<std::string> lines;
  TEST_SetLogSink([&](std::string_view line) {
    std::lock_guard lock(mu);
    lines.emplace_back(line);
  });
  for (int i = 0; i < 3; ++i) {
    auto targets = f.catalog->ListTargets();
    INFO((targets.ok() ? "" : targets.error().ToString()));
    REQUIRE(targets.ok());
    REQUIRE(targets->size() == 2);
    CHECK((*targets)[0] == f.S3Spec());
  }
  TEST_SetLogSink(nullptr);
  std::lock_guard lock(mu);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].starts_with("warn replication.target_spec_field_ignored target=dr "
                             "field=s3.object_lock_days"));
}

}  // namespace
}  // namespace cairn
