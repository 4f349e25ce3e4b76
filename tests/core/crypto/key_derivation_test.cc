#include "core/crypto/key_derivation.h"

#include <catch2/catch.hpp>
#include <set>

namespace cairn {
namespace {

MasterKey CountingKey() {
  MasterKey key;
  for (std::size_t i = 0; i < key.bytes.size(); ++i) key.bytes[i] = static_cast<std::uint8_t>(i);
  return key;
}

TEST_CASE("DeriveKeys: outputs match HKDF-SHA256 as written in docs/formats.md", "[unit]") {
  // Expected values computed independently (Python hmac/hashlib, RFC 5869)
  // for master key 00 01 .. 1f and store id "store-0001".
  DerivedKeys keys = DeriveKeys(CountingKey(), AsBytes("store-0001"));
  CHECK(ToHex(keys.data.bytes) ==
        "c8d459cbb4d218adb632aa4c33b52ecaa8aabbd076279ff3309017ab3a74c3cb");
  CHECK(ToHex(keys.id.bytes) == "8d48d46735b3848cd16868e30f640a71334c1078797b7bbc4c664b563287b49d");
  CHECK(ToHex(keys.config_mac_key) ==
        "8d4f96282a58e3fc87075fbe666d461346a667d55214a45744f6ad9e3d9df202");
  CHECK(keys.gear_table.front() == 0xb5f7e445fd45f16aULL);
  CHECK(keys.gear_table.back() == 0x939584b1dd2d69c8ULL);
}

TEST_CASE("DeriveKeys: deterministic for a master key and store id, different per purpose",
          "[unit]") {
  auto master = GenerateMasterKey();
  REQUIRE(master.ok());
  const Bytes store_id(16, 0x11);
  DerivedKeys a = DeriveKeys(*master, store_id);
  DerivedKeys b = DeriveKeys(*master, store_id);
  CHECK(a.data == b.data);
  CHECK(a.id == b.id);
  CHECK(a.gear_table == b.gear_table);
  CHECK(a.config_mac_key == b.config_mac_key);

  std::set<std::string> distinct = {ToHex(a.data.bytes), ToHex(a.id.bytes), ToHex(a.config_mac_key),
                                    ToHex(master->bytes)};
  CHECK(distinct.size() == 4);
  std::set<std::uint64_t> gear(a.gear_table.begin(), a.gear_table.end());
  CHECK(gear.size() == 256);
}

TEST_CASE("DeriveKeys: another store id or master key gives unrelated keys", "[unit]") {
  auto master = GenerateMasterKey();
  auto other_master = GenerateMasterKey();
  REQUIRE(master.ok());
  REQUIRE(other_master.ok());
  DerivedKeys a = DeriveKeys(*master, Bytes(16, 0x11));
  DerivedKeys b = DeriveKeys(*master, Bytes(16, 0x12));
  DerivedKeys c = DeriveKeys(*other_master, Bytes(16, 0x11));
  CHECK_FALSE(a.data == b.data);
  CHECK_FALSE(a.id == b.id);
  CHECK(a.gear_table != b.gear_table);
  CHECK_FALSE(a.data == c.data);
  CHECK_FALSE(a.id == c.id);
}

TEST_CASE("DeriveKeys: an empty store id still derives keys", "[unit]") {
  DerivedKeys a = DeriveKeys(CountingKey(), {});
  DerivedKeys b = DeriveKeys(CountingKey(), AsBytes("x"));
  CHECK_FALSE(a.data == b.data);
}

}  // namespace
}  // namespace cairn
