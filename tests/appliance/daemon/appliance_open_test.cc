// The appliance at start with a damaged catalog.db: it refuses to start with
// the exact rebuild command for its store, touches nothing, and starts again
// once `cairnctl catalog rebuild` (RebuildCatalog on a fresh catalog) ran.
#include <catch2/catch.hpp>
#include <fstream>

#include "appliance/daemon/appliance.h"
#include "appliance/daemon/first_boot.h"
#include "core/engine/catalog_rebuild.h"
#include "core/store/store.h"
#include "tests/support/temp_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

ApplianceConfig ConfigIn(const fs::path& state) {
  ApplianceConfig config;
  config.state_dir = state;
  config.store_dir = state / "store";
  config.key_file = state / "keys" / "store.key";
  config.pki_dir = state / "pki";
  return config;
}

// Overwrites `length` bytes at `offset` of `path` with a fixed pattern.
void Damage(const fs::path& path, std::streamoff offset, std::size_t length) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(f.good());
  f.seekp(offset);
  const std::string garbage(length, '\xa5');
  f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  REQUIRE(f.good());
}

std::string Bytes(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

TEST_CASE("The appliance refuses to start on a damaged catalog, names the rebuild command, and "
          "starts after the rebuild",
          "[integration]") {
  TempDir dir;
  const ApplianceConfig config = ConfigIn(dir.path() / "var");
  REQUIRE(InitAppliance(config).ok());
  REQUIRE(Appliance::Open(config).ok());  // sound: opens (and closes again)
  const fs::path db = config.store_dir / "catalog.db";
  const std::string sound = Bytes(db);
  REQUIRE(sound.size() >= 8 * 4096);

  struct Case {
    const char* what;
    std::streamoff offset;
    std::size_t length;
  };
  // The header (Open itself fails) and a page in the middle (only the
  // integrity check at start reads it).
  const Case cases[] = {{"header", 0, 100}, {"a middle page", 4 * 4096, 4096}};
  for (const Case& c : cases) {
    SECTION(c.what) {
      Damage(db, c.offset, c.length);
      const std::string damaged = Bytes(db);
      auto refused = Appliance::Open(config);
      REQUIRE_FALSE(refused.ok());
      CHECK(refused.error().IsCorruption());
      CHECK_THAT(refused.error().message(),
                 Catch::Contains("cairnctl catalog rebuild --store " + config.store_dir.string() +
                                 " --key-file " + config.key_file.string()));
      CHECK_THAT(refused.error().message(), Catch::Contains("did not start"));
      CHECK(Bytes(db) == damaged);  // nothing written through it

      {
        KeySource key;
        key.key_file = config.key_file;
        auto store = Store::Open(DefaultFileSystem(), config.store_dir, key,
                                 /*fresh_catalog=*/true);
        REQUIRE(store.ok());
        REQUIRE(RebuildCatalog(**store).ok());
      }
      CHECK(Appliance::Open(config).ok());
    }
  }
}

}  // namespace
}  // namespace cairn
