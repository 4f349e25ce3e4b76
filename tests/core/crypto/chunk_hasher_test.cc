#include "core/crypto/chunk_hasher.h"

#include <openssl/evp.h>

#include <catch2/catch.hpp>
#include <random>

namespace cairn {
namespace {

IdKey FortyTwos() {
  IdKey key;
  key.bytes.fill(0x42);
  return key;
}

Bytes Pseudorandom(std::size_t size, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes out(size);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

// The reference: OpenSSL's one-shot HMAC, with nothing reused.
ChunkId OneShotHmac(const IdKey& key, ByteSpan data) {
  ChunkId id;
  std::size_t len = 0;
  REQUIRE(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.bytes.data(), key.bytes.size(),
                    data.data(), data.size(), id.bytes.data(), id.bytes.size(), &len) != nullptr);
  REQUIRE(len == 32);
  return id;
}

TEST_CASE("ChunkHasher: ids are HMAC-SHA-256 under the id key (known answers)", "[unit]") {
  // Computed independently with Python's hmac module.
  ChunkHasher hasher(FortyTwos());
  CHECK(hasher.Hash(AsBytes("The quick brown fox jumps over the lazy dog")).Hex() ==
        "59aab5293c6332198115ca4d79ba6b6c2aca144cbf795ec065014936f3a9aee9");
  CHECK(hasher.Hash({}).Hex() ==
        "58f0742d53a418d2df62182814f137600fd049ed179c20b311a62ea179895be7");
}

TEST_CASE("ChunkHasher: a reused hasher equals a one-shot HMAC on every input", "[unit]") {
  IdKey key = FortyTwos();
  key.bytes[31] = 7;
  ChunkHasher hasher(key);
  for (std::size_t size : {0u, 1u, 63u, 64u, 65u, 4096u, 1u << 20}) {
    INFO(size);
    Bytes data = Pseudorandom(size, static_cast<std::uint32_t>(size));
    CHECK(hasher.Hash(data) == OneShotHmac(key, data));
    CHECK(hasher.Hash(data) == OneShotHmac(key, data));  // no state leaks between calls
  }
}

TEST_CASE("ChunkHasher: another id key gives other ids for the same data", "[unit]") {
  IdKey other = FortyTwos();
  other.bytes[0] ^= 1;
  Bytes data = Pseudorandom(1000, 1);
  ChunkHasher a(FortyTwos());
  ChunkHasher b(other);
  CHECK_FALSE(a.Hash(data) == b.Hash(data));
}

TEST_CASE("ChunkHasher: a moved hasher keeps its key", "[unit]") {
  ChunkHasher a(FortyTwos());
  ChunkHasher b = std::move(a);
  CHECK(b.Hash(AsBytes("x")) == OneShotHmac(FortyTwos(), AsBytes("x")));
}

}  // namespace
}  // namespace cairn
