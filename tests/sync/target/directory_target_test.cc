#include <catch2/catch.hpp>

#include "core/base/file_system.h"
#include "sync/target/directory_target.h"
#include "sync/target/replica_layout.h"
#include "tests/support/temp_dir.h"

namespace cairn {
namespace {

TEST_CASE("DirectoryTarget: puts, gets and lists replica objects in the store layout", "[unit]") {
  TempDir dir;
  DirectoryTarget target(DefaultFileSystem(), dir.path() / "replica");
  CHECK(target.Probe().error().code() == Status::Code::kUnavailable);  // not there yet: down, not broken
  REQUIRE(DefaultFileSystem().CreateDirectories(dir.path() / "replica").ok());
  REQUIRE(target.Probe().ok());

  ChunkId id;
  id.bytes[0] = 0x12;
  const std::string chunk_key = ReplicaChunkKey(id);
  REQUIRE(target.Put(chunk_key, AsBytes(std::string_view("sealed")), {}).ok());
  REQUIRE(target.Put("config", AsBytes(std::string_view("{}")), {}).ok());
  REQUIRE(target.Put("snapshots/web/0123456789abcdef", AsBytes(std::string_view("m")), {}).ok());
  CHECK(fs::exists(dir.path() / "replica" / "chunks" / "12" / id.Hex()));

  auto got = target.Get(chunk_key, 100);
  REQUIRE(got.ok());
  CHECK(AsChars(*got) == "sealed");
  CHECK_FALSE(target.Get(chunk_key, 3).ok());  // bounded
  CHECK(target.Get("snapshots/web/fedcba9876543210", 100).error().IsNotFound());

  std::vector<std::string> keys;
  REQUIRE(target.List("", [&](std::string_view k, std::uint64_t) {
                  keys.emplace_back(k);
                  return Status::Ok();
                }).ok());
  CHECK(keys == std::vector<std::string>{chunk_key, "config", "snapshots/web/0123456789abcdef"});
  keys.clear();
  REQUIRE(target.List("snapshots/", [&](std::string_view k, std::uint64_t size) {
                  keys.emplace_back(k);
                  CHECK(size == 1);
                  return Status::Ok();
                }).ok());
  CHECK(keys.size() == 1);

  CHECK_FALSE(target.Put("../escape", AsBytes(std::string_view("x")), {}).ok());
  CHECK_FALSE(fs::exists(dir.path() / "escape"));
  REQUIRE(target.Delete(chunk_key).ok());
  REQUIRE(target.Delete(chunk_key).ok());  // already gone is fine
  CHECK(target.Get(chunk_key, 100).error().IsNotFound());
}

}  // namespace
}  // namespace cairn
