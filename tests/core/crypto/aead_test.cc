#include "core/crypto/aead.h"

#include <catch2/catch.hpp>

namespace cairn {
namespace {

Bytes Hex(std::string_view hex) { return *FromHex(hex); }

std::array<std::uint8_t, 32> Key(std::uint8_t fill) {
  std::array<std::uint8_t, 32> k;
  k.fill(fill);
  return k;
}

const std::array<std::uint8_t, 12> kNonce = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

TEST_CASE("Aes256Gcm: matches the published AES-256-GCM test vector", "[unit]") {
  // McGrew & Viega, "The Galois/Counter Mode of Operation", test case 16.
  Bytes key = Hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
  Bytes iv = Hex("cafebabefacedbaddecaf888");
  Bytes pt =
      Hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e24"
          "49a6b525b16aedf5aa0de657ba637b39");
  Bytes aad = Hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  std::string want =
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b10"
      "56828838c5f61e6393ba7a0abcc9f662"
      "76fc6ece0f4e1768cddf8853bb2d551b";

  Aes256Gcm gcm(std::span<const std::uint8_t, 32>(key.data(), 32));
  Aes256Gcm::Nonce nonce(iv.data(), 12);
  // The AAD may come in pieces; only the concatenation counts.
  const ByteSpan aad_parts[] = {ByteSpan(aad).first(7), ByteSpan(aad).subspan(7)};
  Bytes out(pt.size() + 16);
  REQUIRE(gcm.Seal(nonce, aad_parts, pt, out).ok());
  CHECK(ToHex(out) == want);

  Bytes back(pt.size());
  const ByteSpan whole_aad[] = {aad};
  REQUIRE(gcm.Open(nonce, whole_aad, out, back).ok());
  CHECK(back == pt);
}

TEST_CASE("Aes256Gcm: one object seals and opens many messages in any order", "[unit]") {
  Aes256Gcm gcm(Key(9));
  const ByteSpan aad[] = {AsBytes("name")};
  for (std::size_t size : {0u, 1u, 15u, 16u, 17u, 1000u, 100000u}) {
    INFO(size);
    Bytes pt(size, static_cast<std::uint8_t>(size));
    Bytes sealed(size + 16);
    REQUIRE(gcm.Seal(kNonce, aad, pt, sealed).ok());
    Bytes back(size);
    REQUIRE(gcm.Open(kNonce, aad, sealed, back).ok());
    CHECK(back == pt);
    // In place.
    Bytes inplace = pt;
    inplace.resize(size + 16);
    REQUIRE(gcm.Seal(kNonce, aad, ByteSpan(inplace).first(size), inplace).ok());
    CHECK(inplace == sealed);
  }
}

TEST_CASE("Aes256Gcm: a changed byte, AAD, nonce or key is an authentication failure", "[unit]") {
  Aes256Gcm gcm(Key(9));
  const ByteSpan aad[] = {AsBytes("chunk-1")};
  Bytes pt(100, 0x33);
  Bytes sealed(116);
  REQUIRE(gcm.Seal(kNonce, aad, pt, sealed).ok());
  Bytes out(100, 0x77);

  for (std::size_t i = 0; i < sealed.size(); ++i) {
    Bytes bad = sealed;
    bad[i] ^= 0x01;
    Status s = gcm.Open(kNonce, aad, bad, out);
    REQUIRE(s.IsCorruption());
  }
  CHECK(out == Bytes(100, 0));  // no unauthenticated plaintext is handed out

  const ByteSpan other_aad[] = {AsBytes("chunk-2")};
  CHECK(gcm.Open(kNonce, other_aad, sealed, out).IsCorruption());
  auto other_nonce = kNonce;
  other_nonce[11] ^= 1;
  CHECK(gcm.Open(other_nonce, aad, sealed, out).IsCorruption());
  Aes256Gcm other_key(Key(10));
  Status s = other_key.Open(kNonce, aad, sealed, out);
  CHECK(s.IsCorruption());
  CHECK(s.message().find("authentication failed") != std::string::npos);
  // The object still works after failures.
  REQUIRE(gcm.Open(kNonce, aad, sealed, out).ok());
  CHECK(out == pt);
}

TEST_CASE("Aes256Gcm: wrong output sizes are InvalidArgument, not overflows", "[unit]") {
  Aes256Gcm gcm(Key(1));
  Bytes pt(10);
  Bytes small(25);
  CHECK(gcm.Seal(kNonce, {}, pt, small).IsInvalidArgument());
  Bytes sealed(26);
  REQUIRE(gcm.Seal(kNonce, {}, pt, sealed).ok());
  Bytes out(9);
  CHECK(gcm.Open(kNonce, {}, sealed, out).IsInvalidArgument());
  CHECK(gcm.Open(kNonce, {}, ByteSpan(sealed).first(15), out).IsInvalidArgument());
}

}  // namespace
}  // namespace cairn
