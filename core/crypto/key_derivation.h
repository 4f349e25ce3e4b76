// DeriveKeys: every working key of a store, derived from its master key.
//
// HKDF-SHA256 (RFC 5869) with the master key as input keying material, the
// store id as salt, and one info string per purpose, so that the keys are
// independent and a replica with the same master key and store id derives
// the same ones (docs/formats.md, "Key derivation"):
//
//   "cairn/v1/data"        32 bytes  DataKey: AES-256-GCM of sealed objects
//   "cairn/v1/id"          32 bytes  IdKey: HMAC-SHA-256 chunk ids
//   "cairn/v1/gear"      2048 bytes  256 little-endian u64: the chunker's gear
//                                    table, so chunk boundaries leak nothing
//   "cairn/v1/config-mac"  32 bytes  MAC key for the store's plaintext config
//
// Changing an info string or the layout changes every chunk id and makes
// existing stores unreadable: these are part of the format (version 1).
// Thread-safety: pure function, safe from any thread.
#pragma once

#include <array>
#include <cstdint>

#include "core/base/bytes.h"
#include "core/crypto/secret_key.h"

namespace cairn {

inline constexpr char kHkdfInfoData[] = "cairn/v1/data";
inline constexpr char kHkdfInfoId[] = "cairn/v1/id";
inline constexpr char kHkdfInfoGear[] = "cairn/v1/gear";
inline constexpr char kHkdfInfoConfigMac[] = "cairn/v1/config-mac";

struct DerivedKeys {
  DataKey data;
  IdKey id;
  std::array<std::uint64_t, 256> gear_table{};
  std::array<std::uint8_t, 32> config_mac_key{};

  // Wipes the gear table and the config MAC key (the typed keys wipe
  // themselves).
  ~DerivedKeys();
};

// Deterministic for a given (master key, store id). HKDF cannot fail with
// these fixed sizes; an OpenSSL failure (allocation, no default provider)
// aborts the process with a message rather than yielding weak keys.
DerivedKeys DeriveKeys(const MasterKey& master, ByteSpan store_id);

}  // namespace cairn
