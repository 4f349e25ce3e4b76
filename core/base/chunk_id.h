// ChunkId: the 32-byte keyed hash (HMAC-SHA-256 under the store's id key) that
// names a chunk. Computed in core/crypto; everything else only carries it.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/bytes.h"

namespace cairn {

struct ChunkId {
  static constexpr std::size_t kSize = 32;
  std::array<std::uint8_t, kSize> bytes{};

  std::string Hex() const { return ToHex(bytes); }
  static std::optional<ChunkId> FromHex(std::string_view hex) {
    if (hex.size() != 2 * kSize) return std::nullopt;
    auto raw = ::cairn::FromHex(hex);
    if (!raw) return std::nullopt;
    ChunkId id;
    std::memcpy(id.bytes.data(), raw->data(), kSize);
    return id;
  }
  static std::optional<ChunkId> FromBytes(ByteSpan raw) {
    if (raw.size() != kSize) return std::nullopt;
    ChunkId id;
    std::memcpy(id.bytes.data(), raw.data(), kSize);
    return id;
  }
  friend bool operator==(const ChunkId&, const ChunkId&) = default;
  friend auto operator<=>(const ChunkId&, const ChunkId&) = default;
};

struct ChunkIdHash {
  std::size_t operator()(const ChunkId& id) const noexcept {
    // The id is already a uniformly distributed keyed hash.
    std::size_t h;
    std::memcpy(&h, id.bytes.data(), sizeof h);
    return h;
  }
};

}  // namespace cairn
