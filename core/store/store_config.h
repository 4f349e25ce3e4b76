// StoreConfig: the store's self-description, the plaintext JSON file
// <store>/config. It is the one file readable without a key: it says what
// format this is, how data is chunked and compressed, and holds the key slots
// (the master key wrapped by a key file and by recovery passphrases).
//
// Integrity: everything except the MAC itself is covered by an HMAC-SHA-256
// under a key derived from the master key ("config_mac"), checked on open, so
// nobody can quietly change chunker parameters or swap a key slot.
// Format documented in docs/formats.md ("Store config").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/status.h"
#include "core/chunking/chunker.h"
#include "core/crypto/keys.h"

namespace cairn {

struct StoreConfig {
  static constexpr int kFormatVersion = 1;
  static constexpr std::uint64_t kMaxConfigBytes = 1 << 20;

  Bytes store_id;  // 16 random bytes
  std::int64_t created_unix_ns = 0;
  ChunkerParams chunker;
  int zstd_level = 2;
  // Files smaller than this are packed together into shared chunks instead
  // of being chunked alone (see docs/formats.md, "Content slices").
  std::uint32_t pack_below = 256 * 1024;
  std::vector<KeySlot> key_slots;
  std::string mac_hex;  // HMAC over ToJson(without_mac)

  std::string StoreIdHex() const { return ToHex(store_id); }
  // The JSON text; with include_mac=false it is the byte string the MAC covers.
  std::string ToJson(bool include_mac) const;
  static Result<StoreConfig> Parse(ByteSpan text);

  void Seal(const DerivedKeys& keys);          // sets mac_hex
  Status CheckMac(const DerivedKeys& keys) const;
};

}  // namespace cairn
