// Secret key types: 32-byte keys that wipe themselves when destroyed, with a
// distinct type per role so a data key can never be passed where an id key
// (or a master key) is expected.
//
//   MasterKey   random per store; never stored in the clear (see key_slot.h)
//   DataKey     derived; encrypts chunks and manifests (sealed_object.h)
//   IdKey       derived; keys chunk ids (chunk_hasher.h); agents hold it too
//   KeyFileKey  the appliance's key-encryption key, kept in a key file
//
// Copies are allowed (each copy wipes itself), but keep them few.
// Thread-safety: plain values.
#pragma once

#include <array>
#include <cassert>
#include <cstdint>
#include <cstring>

#include "core/base/bytes.h"
#include "core/base/status.h"

namespace cairn {

struct SecretKey {
  static constexpr std::size_t kSize = 32;
  std::array<std::uint8_t, kSize> bytes{};

  SecretKey() = default;
  SecretKey(const SecretKey&) = default;
  SecretKey& operator=(const SecretKey&) = default;
  // Wipes the key bytes (OPENSSL_cleanse, which the optimiser cannot drop).
  ~SecretKey();

  ByteSpan span() const { return bytes; }
  // Constant time.
  friend bool operator==(const SecretKey& a, const SecretKey& b);
};

struct MasterKey : SecretKey {};
struct DataKey : SecretKey {};
struct IdKey : SecretKey {};
struct KeyFileKey : SecretKey {};

// Builds a key of role K from exactly SecretKey::kSize bytes (asserted: the
// caller has already validated the size of anything read from outside).
template <typename K>
K KeyFromBytes(ByteSpan raw) {
  assert(raw.size() == SecretKey::kSize);
  K key;
  std::memcpy(key.bytes.data(), raw.data(), SecretKey::kSize);
  return key;
}

// A fresh random master key for a new store.
Result<MasterKey> GenerateMasterKey();

// Wipes any buffer that held key material.
void Cleanse(MutableByteSpan buf);

}  // namespace cairn
