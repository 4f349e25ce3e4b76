#include <catch2/catch.hpp>

#include "sync/target/replica_layout.h"

namespace cairn {
namespace {

ChunkId SomeId(std::uint8_t first) {
  ChunkId id;
  for (std::size_t i = 0; i < ChunkId::kSize; ++i) id.bytes[i] = static_cast<std::uint8_t>(first + i);
  return id;
}

TEST_CASE("ReplicaLayout: chunk and manifest keys are the store's own paths and parse back",
          "[unit]") {
  const ChunkId id = SomeId(0xab);
  const std::string key = ReplicaChunkKey(id);
  CHECK(key == "chunks/ab/" + id.Hex());
  REQUIRE(ParseReplicaChunkKey(key));
  CHECK(*ParseReplicaChunkKey(key) == id);
  CHECK(ReplicaManifestKey("web", "0123456789abcdef") == "snapshots/web/0123456789abcdef");
  auto m = ParseReplicaManifestKey("snapshots/web/0123456789abcdef");
  REQUIRE(m);
  CHECK(m->first == "web");
  CHECK(m->second == "0123456789abcdef");
  CHECK(ValidateReplicaKey("config").ok());
}

TEST_CASE("ReplicaLayout: keys of any other shape are refused, so none escapes a replica",
          "[unit]") {
  const std::string hex = SomeId(0xab).Hex();
  for (std::string bad : {std::string("chunks/cd/") + hex,   // wrong fan-out directory
                          std::string("chunks/ab/") + hex + "x", std::string("chunks/ab/../x"),
                          std::string("snapshots/../0123456789abcdef"),
                          std::string("snapshots/web/0123456789ABCDEF"),
                          std::string("snapshots/web/0123456789abcdef/x"), std::string("/config"),
                          std::string("config/"), std::string(""), std::string("catalog.db")}) {
    INFO(bad);
    CHECK_FALSE(ValidateReplicaKey(bad).ok());
  }
  CHECK(ValidateReplicaKey(std::string("x\x01y")).message().find('\x01') == std::string::npos);
}

}  // namespace
}  // namespace cairn
