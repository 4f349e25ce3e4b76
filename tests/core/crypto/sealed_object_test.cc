#include "core/crypto/sealed_object.h"

#include <catch2/catch.hpp>
#include <random>

namespace cairn {
namespace {

constexpr std::size_t kMaxChunk = 4 << 20;

DataKey Key(std::uint8_t fill) {
  DataKey k;
  k.bytes.fill(fill);
  return k;
}

Bytes Id(std::uint8_t fill) { return Bytes(32, fill); }

Bytes Compressible(std::size_t size) {
  Bytes out(size);
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<std::uint8_t>("cairn-"[i % 6]);
  return out;
}

Bytes Noise(std::size_t size, std::uint32_t seed = 1) {
  std::mt19937 rng(seed);
  Bytes out(size);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

struct Fixture {
  ObjectSealer sealer{Key(1), 3};
  ObjectOpener opener{Key(1)};
};

TEST_CASE("SealedObject: chunks and manifests round trip, compressed or raw", "[unit]") {
  Fixture f;
  for (std::size_t size : {0u, 1u, 100u, 4096u, 1u << 20}) {
    for (bool noisy : {false, true}) {
      INFO(size << (noisy ? " noise" : " text"));
      Bytes pt = noisy ? Noise(size) : Compressible(size);
      auto sealed = f.sealer.Seal(ObjectType::kChunk, Id(7), pt);
      REQUIRE(sealed.ok());
      auto back = f.opener.Open(ObjectType::kChunk, Id(7), *sealed, kMaxChunk);
      REQUIRE(back.ok());
      CHECK(*back == pt);
    }
  }
  Bytes manifest = Compressible(300000);
  auto sealed =
      f.sealer.Seal(ObjectType::kManifest, AsBytes("snap-2026-11-23T21:00:00Z"), manifest);
  REQUIRE(sealed.ok());
  auto back = f.opener.Open(ObjectType::kManifest, AsBytes("snap-2026-11-23T21:00:00Z"), *sealed,
                            256u << 20);
  REQUIRE(back.ok());
  CHECK(*back == manifest);
}

TEST_CASE("SealedObject: the header is laid out as docs/formats.md says", "[unit]") {
  Fixture f;
  Bytes pt = Compressible(10000);
  auto sealed = f.sealer.Seal(ObjectType::kManifest, AsBytes("s1"), pt);
  REQUIRE(sealed.ok());
  const std::uint8_t* h = sealed->data();
  CHECK(std::string_view(reinterpret_cast<const char*>(h), 4) == "CRN1");
  CHECK(h[4] == 1);  // format version
  CHECK(h[5] == 2);  // manifest
  CHECK(h[6] == 1);  // zstd
  CHECK(h[7] == 0);  // reserved
  CHECK(GetU32(h + 8) == 10000);
  CHECK(sealed->size() < 200);  // 24 header + small frame + 16 tag

  auto again = f.sealer.Seal(ObjectType::kManifest, AsBytes("s1"), pt);
  REQUIRE(again.ok());
  CHECK(Bytes(h + 12, h + 24) != Bytes(again->begin() + 12, again->begin() + 24));  // fresh nonce
}

TEST_CASE("SealedObject: incompressible data is stored raw", "[unit]") {
  Fixture f;
  Bytes pt = Noise(100000);
  auto sealed = f.sealer.Seal(ObjectType::kChunk, Id(1), pt);
  REQUIRE(sealed.ok());
  CHECK((*sealed)[6] == 0);
  CHECK(sealed->size() == pt.size() + kSealedOverhead);

  // Barely compressible (under 3% saved) is raw too: half noise, a little text.
  Bytes mostly = Noise(100000);
  std::fill(mostly.begin(), mostly.begin() + 1000, 'a');
  sealed = f.sealer.Seal(ObjectType::kChunk, Id(1), mostly);
  REQUIRE(sealed.ok());
  CHECK((*sealed)[6] == 0);

  Bytes empty;
  sealed = f.sealer.Seal(ObjectType::kChunk, Id(1), empty);
  REQUIRE(sealed.ok());
  CHECK((*sealed)[6] == 0);
  CHECK(sealed->size() == kSealedOverhead);
}

TEST_CASE("SealedObject: flipping any byte of a sealed chunk is a Corruption error",
          "[unit][fault]") {
  Fixture f;
  for (bool compressible : {true, false}) {
    INFO((compressible ? "zstd" : "raw"));
    Bytes pt = compressible ? Compressible(50000) : Noise(5000);
    auto sealed = f.sealer.Seal(ObjectType::kChunk, Id(3), pt);
    REQUIRE(sealed.ok());
    REQUIRE((*sealed)[6] == (compressible ? 1 : 0));

    std::vector<std::size_t> positions;
    for (std::size_t i = 0; i < kSealedHeaderSize; ++i) positions.push_back(i);
    for (std::size_t i = kSealedHeaderSize; i < sealed->size(); i += 97) positions.push_back(i);
    for (std::size_t i = sealed->size() - 16; i < sealed->size(); ++i) positions.push_back(i);
    for (std::size_t pos : positions) {
      for (std::uint8_t mask : {0x01, 0x80, 0xff}) {
        Bytes bad = *sealed;
        bad[pos] ^= mask;
        auto r = f.opener.Open(ObjectType::kChunk, Id(3), bad, kMaxChunk);
        INFO("byte " << pos << " mask " << int(mask));
        REQUIRE_FALSE(r.ok());
        REQUIRE(r.error().IsCorruption());
        REQUIRE(r.error().message().find("sealed chunk 0303") == 0);
      }
    }
  }
}

TEST_CASE("SealedObject: truncation at every header length and in the body is Corruption",
          "[unit][fault]") {
  Fixture f;
  auto sealed = f.sealer.Seal(ObjectType::kChunk, Id(4), Compressible(20000));
  REQUIRE(sealed.ok());
  for (std::size_t len = 0; len <= kSealedOverhead + 8; ++len) {
    INFO(len);
    auto r = f.opener.Open(ObjectType::kChunk, Id(4), ByteSpan(*sealed).first(len), kMaxChunk);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().IsCorruption());
  }
  for (std::size_t len = kSealedOverhead; len < sealed->size(); len += 13) {
    CHECK(f.opener.Open(ObjectType::kChunk, Id(4), ByteSpan(*sealed).first(len), kMaxChunk)
              .error()
              .IsCorruption());
  }
  Bytes longer = *sealed;
  longer.push_back(0);
  CHECK(f.opener.Open(ObjectType::kChunk, Id(4), longer, kMaxChunk).error().IsCorruption());
  auto r = f.opener.Open(ObjectType::kChunk, Id(4), ByteSpan(*sealed).first(10), kMaxChunk);
  CHECK(r.error().message().find("truncated") != std::string::npos);
}

TEST_CASE("SealedObject: each malformed header field gets its own message", "[unit][fault]") {
  Fixture f;
  auto sealed = f.sealer.Seal(ObjectType::kChunk, Id(5), Compressible(20000));
  REQUIRE(sealed.ok());
  struct Case {
    std::size_t offset;
    std::uint8_t value;
    const char* says;
  };
  const Case cases[] = {
      {0, 'X', "bad magic"},           {4, 2, "unknown format version 2"},
      {5, 9, "unknown object type 9"}, {5, 2, "header says it is a manifest"},
      {6, 7, "unknown codec 7"},       {7, 1, "reserved header byte"},
      {6, 0, "raw payload is"},        {11, 0xff, "more than the 4194304 allowed"},
  };
  for (const Case& c : cases) {
    Bytes bad = *sealed;
    bad[c.offset] = c.value;
    auto r = f.opener.Open(ObjectType::kChunk, Id(5), bad, kMaxChunk);
    INFO(c.says);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().IsCorruption());
    CHECK(r.error().message().find(c.says) != std::string::npos);
  }
}

TEST_CASE("SealedObject: a wrong data key is Corruption", "[unit]") {
  Fixture f;
  auto sealed = f.sealer.Seal(ObjectType::kChunk, Id(6), Compressible(1000));
  REQUIRE(sealed.ok());
  ObjectOpener other(Key(2));
  auto r = other.Open(ObjectType::kChunk, Id(6), *sealed, kMaxChunk);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().IsCorruption());
  CHECK(r.error().message().find("authentication failed") != std::string::npos);
}

TEST_CASE("SealedObject: an object opened under another name or type fails", "[unit]") {
  Fixture f;
  auto chunk = f.sealer.Seal(ObjectType::kChunk, Id(8), Compressible(1000));
  REQUIRE(chunk.ok());
  // A chunk served under another chunk's id (a swapped file).
  Bytes other_id = Id(8);
  other_id[31] ^= 1;
  auto r = f.opener.Open(ObjectType::kChunk, other_id, *chunk, kMaxChunk);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().IsCorruption());
  // A manifest under another snapshot's name.
  auto manifest = f.sealer.Seal(ObjectType::kManifest, AsBytes("snap-a"), Compressible(1000));
  REQUIRE(manifest.ok());
  CHECK(f.opener.Open(ObjectType::kManifest, AsBytes("snap-b"), *manifest, kMaxChunk)
            .error()
            .IsCorruption());
  // A chunk whose type byte is rewritten to "manifest" fails authentication.
  Bytes retyped = *chunk;
  retyped[5] = 2;
  CHECK(f.opener.Open(ObjectType::kManifest, AsBytes("snap-a"), retyped, kMaxChunk)
            .error()
            .IsCorruption());
}

TEST_CASE("SealedObject: bad names are InvalidArgument for both sealer and opener", "[unit]") {
  Fixture f;
  Bytes pt(10, 1);
  CHECK(f.sealer.Seal(ObjectType::kChunk, Bytes(31, 1), pt).error().IsInvalidArgument());
  CHECK(f.sealer.Seal(ObjectType::kManifest, {}, pt).error().IsInvalidArgument());
  CHECK(f.sealer.Seal(ObjectType::kManifest, Bytes(257, 'a'), pt).error().IsInvalidArgument());
  CHECK(f.sealer.Seal(static_cast<ObjectType>(3), Id(1), pt).error().IsInvalidArgument());
  auto sealed = f.sealer.Seal(ObjectType::kChunk, Id(1), pt);
  REQUIRE(sealed.ok());
  CHECK(f.opener.Open(ObjectType::kChunk, Bytes(33, 1), *sealed, kMaxChunk)
            .error()
            .IsInvalidArgument());
}

TEST_CASE("SealedObject: a decompression bomb inside a valid envelope is refused",
          "[unit][fault]") {
  // Someone with the data key seals 64 MiB of zeros as a "chunk"; a reader
  // that allows 4 MiB must refuse it from the header, before inflating.
  Fixture f;
  auto bomb = f.sealer.Seal(ObjectType::kChunk, Id(9), Bytes(64 << 20, 0));
  REQUIRE(bomb.ok());
  CHECK(bomb->size() < 64 * 1024);
  auto r = f.opener.Open(ObjectType::kChunk, Id(9), *bomb, kMaxChunk);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().IsCorruption());
  CHECK(r.error().message().find("more than the 4194304 allowed") != std::string::npos);
}

TEST_CASE("SealedObject: a header length that disagrees with the zstd frame is Corruption",
          "[unit][fault]") {
  // Forge with the key: a valid envelope whose header claims 1 byte more
  // than the frame holds. Built by hand through Aes256Gcm.
  DataKey key = Key(1);
  Compressor c(3);
  Bytes pt = Compressible(5000);
  auto frame = c.Compress(pt);
  REQUIRE(frame.ok());
  Bytes sealed(kSealedOverhead + frame->size());
  std::memcpy(sealed.data(), "CRN1", 4);
  sealed[4] = 1;
  sealed[5] = 1;
  sealed[6] = 1;
  PutU32(sealed.data() + 8, 5001);
  Bytes id = Id(2);
  const ByteSpan aad[] = {ByteSpan(sealed).first(kSealedHeaderSize), id};
  Aes256Gcm gcm(key.bytes);
  REQUIRE(gcm.Seal(Aes256Gcm::Nonce(sealed.data() + 12, 12), aad, *frame,
                   MutableByteSpan(sealed).subspan(kSealedHeaderSize))
              .ok());
  ObjectOpener opener(key);
  auto r = opener.Open(ObjectType::kChunk, id, sealed, kMaxChunk);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().IsCorruption());
  CHECK(r.error().message().find("5000") != std::string::npos);
}

TEST_CASE("SealedObject: sealer and opener are reusable across many objects", "[unit]") {
  Fixture f;
  std::vector<Bytes> sealed;
  for (std::uint8_t i = 0; i < 20; ++i) {
    auto s =
        f.sealer.Seal(ObjectType::kChunk, Id(i), i % 2 ? Noise(3000, i) : Compressible(3000 + i));
    REQUIRE(s.ok());
    sealed.push_back(std::move(*s));
  }
  for (std::uint8_t i = 0; i < 20; ++i) {
    auto r = f.opener.Open(ObjectType::kChunk, Id(i), sealed[i], kMaxChunk);
    REQUIRE(r.ok());
    CHECK(*r == (i % 2 ? Noise(3000, i) : Compressible(3000 + i)));
  }
}

}  // namespace
}  // namespace cairn
