// Key slots: the store's master key, wrapped (AES-256-GCM) under a key file's
// key or under a key stretched from a passphrase with scrypt. The slots live
// in the store's plaintext JSON config; any one of them opens the store.
//
// The associated data of the wrap binds the store id and the slot kind, so a
// slot cannot be moved to another store or relabelled as the other kind.
// JSON fields and validation rules: docs/formats.md, "Key slots".
//
// Thread-safety: free functions and plain values; safe from any thread.
// Passphrase wrapping is deliberately slow (scrypt: ~0.1 s, 32 MiB at the
// defaults): call it off the I/O thread.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/bytes.h"
#include "core/base/status.h"
#include "core/crypto/secret_key.h"

namespace cairn {

inline constexpr char kKeySlotKindKeyFile[] = "keyfile";
inline constexpr char kKeySlotKindPassphrase[] = "passphrase";

// scrypt cost. The defaults (N=2^15, r=8, p=1: 32 MiB, roughly 0.1 s on the
// appliance CPUs) are the parameters RFC 7914 and OWASP suggest for
// interactive logins; a recovery passphrase is typed rarely, but the slot is
// also unwrapped whenever an operator opens a replica, so we stay there
// rather than at the 1 GiB "file encryption" setting. Tests pass far cheaper
// ones (see kMinScryptN).
struct ScryptParams {
  std::uint64_t n = std::uint64_t{1} << 15;  // CPU/memory cost, a power of two
  std::uint32_t r = 8;                       // block size
  std::uint32_t p = 1;                       // parallelism
};

// Accepted ranges, for wrapping and for parsing (a config is untrusted: a
// forged slot must not make unlocking take gigabytes or hours).
inline constexpr std::uint64_t kMinScryptN = 2;
inline constexpr std::uint64_t kMaxScryptN = std::uint64_t{1} << 22;
inline constexpr std::uint32_t kMaxScryptR = 32;
inline constexpr std::uint32_t kMaxScryptP = 16;
inline constexpr std::uint64_t kMaxScryptMemory = std::uint64_t{1} << 30;  // 128*N*r bytes

struct KeySlot {
  static constexpr std::size_t kSaltSize = 16;
  static constexpr std::size_t kNonceSize = 12;
  static constexpr std::size_t kWrappedSize = SecretKey::kSize + 16;  // ciphertext || tag

  std::string kind;  // kKeySlotKindKeyFile | kKeySlotKindPassphrase
  // keyfile: hex of the first 8 bytes of SHA-256(key file key), so the right
  // file can be matched to its slot; passphrase: a random 16-hex-digit label.
  std::string id;
  std::uint64_t scrypt_n = 0;  // passphrase slots only; 0 for keyfile slots
  std::uint32_t scrypt_r = 0;
  std::uint32_t scrypt_p = 0;
  Bytes salt;           // passphrase: kSaltSize bytes; keyfile: empty
  Bytes nonce;          // kNonceSize bytes
  Bytes wrapped;        // kWrappedSize bytes: AES-256-GCM(master key) || tag
  std::string created;  // RFC 3339 UTC, informational (not authenticated)
};

// Wraps `master` under a key file's key (no stretching: the key is random).
Result<KeySlot> WrapWithKeyFile(const MasterKey& master, const KeyFileKey& kek, ByteSpan store_id);

// Wraps `master` under scrypt(passphrase, random salt). An empty passphrase
// or parameters out of range are InvalidArgument.
Result<KeySlot> WrapWithPassphrase(const MasterKey& master, std::string_view passphrase,
                                   ByteSpan store_id, ScryptParams params = {});

// Recovers the master key. A keyfile slot needs `kek`, a passphrase slot
// needs `passphrase` (InvalidArgument naming what is missing otherwise).
// A wrong key file or passphrase, or a slot from another store, is
// PermissionDenied with what to try next; a malformed slot is Corruption.
Result<MasterKey> UnwrapKeySlot(const KeySlot& slot, const KeyFileKey* kek,
                                std::optional<std::string_view> passphrase, ByteSpan store_id);

// The id a keyfile slot carries for `kek`.
std::string KeyFileSlotId(const KeyFileKey& kek);

// Checks sizes, kind and scrypt ranges (Corruption naming the field).
[[nodiscard]] Status ValidateKeySlot(const KeySlot& slot);

// JSON (docs/formats.md): byte fields as lower-case hex.
nlohmann::json KeySlotToJson(const KeySlot& slot);
// Non-throwing parse with validation: Corruption naming the bad field.
Result<KeySlot> KeySlotFromJson(const nlohmann::json& j);

// nlohmann ADL hooks, so `j.get<KeySlot>()` works inside a config parser.
// from_json throws nlohmann::json::other_error carrying the Corruption
// message on invalid input; prefer KeySlotFromJson outside such parsers.
void to_json(nlohmann::json& j, const KeySlot& slot);
void from_json(const nlohmann::json& j, KeySlot& slot);

}  // namespace cairn
