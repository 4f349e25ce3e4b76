#include "core/crypto/secret_key.h"

#include <catch2/catch.hpp>
#include <type_traits>

namespace cairn {
namespace {

TEST_CASE("SecretKey: each role is its own type so keys cannot be mixed up", "[unit]") {
  STATIC_REQUIRE_FALSE(std::is_convertible_v<DataKey, IdKey>);
  STATIC_REQUIRE_FALSE(std::is_convertible_v<IdKey, DataKey>);
  STATIC_REQUIRE_FALSE(std::is_convertible_v<MasterKey, DataKey>);
  STATIC_REQUIRE_FALSE(std::is_convertible_v<KeyFileKey, MasterKey>);
  STATIC_REQUIRE(sizeof(MasterKey) == SecretKey::kSize);
}

TEST_CASE("GenerateMasterKey: two stores never get the same master key", "[unit]") {
  auto a = GenerateMasterKey();
  auto b = GenerateMasterKey();
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK_FALSE(*a == *b);
  CHECK_FALSE(*a == MasterKey{});
  MasterKey copy = *a;
  CHECK(copy == *a);
}

TEST_CASE("SecretKey: destroying a key wipes its bytes", "[unit]") {
  // Placement-new into our own buffer so the bytes can be read after the
  // destructor has run (reading them is well defined: it is our storage).
  alignas(MasterKey) unsigned char storage[sizeof(MasterKey)];
  auto* key = new (storage) MasterKey();
  key->bytes.fill(0xa5);
  key->~MasterKey();
  for (unsigned char c : storage) REQUIRE(c == 0);
}

TEST_CASE("KeyFromBytes: builds a key of the requested role from 32 bytes", "[unit]") {
  Bytes raw(32);
  for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<std::uint8_t>(i);
  IdKey id = KeyFromBytes<IdKey>(raw);
  CHECK(Bytes(id.bytes.begin(), id.bytes.end()) == raw);
}

}  // namespace
}  // namespace cairn
