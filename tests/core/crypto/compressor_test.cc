#include "core/crypto/compressor.h"

#include <zstd.h>

#include <catch2/catch.hpp>
#include <random>

namespace cairn {
namespace {

Bytes Text(std::size_t size) {
  const std::string_view line = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-";
  Bytes out;
  while (out.size() < size) {
    out.insert(out.end(), line.begin(), line.end());
    out.push_back(static_cast<std::uint8_t>('0' + out.size() % 10));
  }
  out.resize(size);
  return out;
}

Bytes Noise(std::size_t size) {
  std::mt19937 rng(7);
  Bytes out(size);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

TEST_CASE("Compressor: frames round trip and one context serves many calls", "[unit]") {
  Compressor c(3);
  Decompressor d;
  for (std::size_t size : {0u, 1u, 100u, 65536u, 1u << 20}) {
    INFO(size);
    Bytes text = Text(size);
    auto frame = c.Compress(text);
    REQUIRE(frame.ok());
    if (size >= 4096) CHECK(frame->size() < size / 4);
    auto back = d.Decompress(*frame, size);
    REQUIRE(back.ok());
    CHECK(*back == text);
  }
}

TEST_CASE("Compressor: every level in range works and out-of-range levels are clamped", "[unit]") {
  Bytes text = Text(10000);
  Decompressor d;
  for (int level : {-1000, 1, 3, 19, 1000}) {
    INFO(level);
    Compressor c(level);
    CHECK(c.level() >= ZSTD_minCLevel());
    CHECK(c.level() <= ZSTD_maxCLevel());
    auto frame = c.Compress(text);
    REQUIRE(frame.ok());
    auto back = d.Decompress(*frame, text.size());
    REQUIRE(back.ok());
    CHECK(*back == text);
  }
}

TEST_CASE("Decompressor: a frame declaring more than the limit is refused (bomb)", "[unit]") {
  Compressor c(1);
  auto bomb = c.Compress(Bytes(64 << 20, 0));  // 64 MiB of zeros: a few KiB of frame
  REQUIRE(bomb.ok());
  CHECK(bomb->size() < 64 * 1024);
  Decompressor d;
  auto r = d.Decompress(*bomb, 4 << 20);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().IsCorruption());
  CHECK(r.error().message().find("more than the 4194304 allowed") != std::string::npos);
}

TEST_CASE("Decompressor: a frame that does not declare its size is refused", "[unit]") {
  CHandle<ZSTD_CCtx, ZSTD_freeCCtx> cctx(ZSTD_createCCtx());
  REQUIRE(cctx);
  REQUIRE_FALSE(ZSTD_isError(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_contentSizeFlag, 0)));
  Bytes text = Text(5000);
  Bytes frame(ZSTD_compressBound(text.size()));
  std::size_t n = ZSTD_compress2(cctx.get(), frame.data(), frame.size(), text.data(), text.size());
  REQUIRE_FALSE(ZSTD_isError(n));
  frame.resize(n);
  Decompressor d;
  auto r = d.Decompress(frame, 1 << 20);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().IsCorruption());
  CHECK(r.error().message().find("not declared") != std::string::npos);
}

TEST_CASE("Decompressor: garbage, truncated frames and trailing bytes are Corruption", "[unit]") {
  Compressor c(3);
  Bytes text = Text(20000);
  auto frame = c.Compress(text);
  REQUIRE(frame.ok());
  Decompressor d;

  CHECK(d.Decompress(Noise(100), 1 << 20).error().IsCorruption());
  CHECK(d.Decompress({}, 1 << 20).error().IsCorruption());
  for (std::size_t len = 0; len < frame->size(); len += 7) {
    INFO(len);
    CHECK(d.Decompress(ByteSpan(*frame).first(len), 1 << 20).error().IsCorruption());
  }
  Bytes two = *frame;
  two.insert(two.end(), frame->begin(), frame->end());
  auto r = d.Decompress(two, 1 << 20);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message().find("unexpected bytes after the frame") != std::string::npos);

  // After all that, the context still decodes a good frame.
  auto back = d.Decompress(*frame, text.size());
  REQUIRE(back.ok());
  CHECK(*back == text);
}

TEST_CASE("Decompressor: damaged frame bodies never crash and never exceed the limit", "[unit]") {
  Compressor c(3);
  Bytes text = Text(20000);
  auto frame = c.Compress(text);
  REQUIRE(frame.ok());
  Decompressor d;
  for (std::size_t i = 0; i < frame->size(); ++i) {
    Bytes bad = *frame;
    bad[i] ^= 0x5a;
    auto r = d.Decompress(bad, text.size());
    if (r.ok()) CHECK(r->size() <= text.size());  // zstd has no checksum here: GCM guards us
  }
}

}  // namespace
}  // namespace cairn
