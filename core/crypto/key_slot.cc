#include "core/crypto/key_slot.h"

#include <openssl/core_names.h>

#include <array>
#include <chrono>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>

#include "core/base/utc_time.h"

#include "core/base/clock.h"
#include "core/crypto/aead.h"
#include "core/crypto/openssl_util.h"
#include "core/crypto/random.h"

namespace cairn {
namespace {

using crypto_internal::EvpKdf;
using crypto_internal::EvpKdfCtx;
using crypto_internal::OpenSslError;

constexpr std::size_t kMaxIdSize = 64;
constexpr std::size_t kMaxCreatedSize = 64;

// AAD = "cairn/v1/keyslot" 0x00 kind 0x00 store_id
Bytes SlotAad(std::string_view kind, ByteSpan store_id) {
  static constexpr std::string_view kPrefix = "cairn/v1/keyslot";
  // Sized up front and filled with memcpy (GCC 12 misreports vector::insert
  // of a char range as an overflow).
  Bytes aad(kPrefix.size() + 1 + kind.size() + 1 + store_id.size(), 0);
  std::uint8_t* p = aad.data();
  std::memcpy(p, kPrefix.data(), kPrefix.size());
  p += kPrefix.size() + 1;
  if (!kind.empty()) std::memcpy(p, kind.data(), kind.size());
  p += kind.size() + 1;
  if (!store_id.empty()) std::memcpy(p, store_id.data(), store_id.size());
  return aad;
}

std::string NowRfc3339() { return FormatUtc(DefaultClock().NowUnixNanos()); }

Status CheckScryptParams(std::uint64_t n, std::uint32_t r, std::uint32_t p) {
  if (n < kMinScryptN || n > kMaxScryptN || (n & (n - 1)) != 0) {
    return Status::InvalidArgument("scrypt N must be a power of two between 2 and 2^22, not " +
                                   std::to_string(n));
  }
  if (r < 1 || r > kMaxScryptR) {
    return Status::InvalidArgument("scrypt r must be between 1 and 32, not " + std::to_string(r));
  }
  if (p < 1 || p > kMaxScryptP) {
    return Status::InvalidArgument("scrypt p must be between 1 and 16, not " + std::to_string(p));
  }
  if (128 * n * r > kMaxScryptMemory) {
    return Status::InvalidArgument("scrypt N=" + std::to_string(n) + " r=" + std::to_string(r) +
                                   " needs more than 1 GiB of memory");
  }
  return Status::Ok();
}

// The wrapping key for a passphrase slot.
Result<SecretKey> StretchPassphrase(std::string_view passphrase, ByteSpan salt, std::uint64_t n,
                                    std::uint32_t r, std::uint32_t p) {
  EvpKdf kdf(EVP_KDF_fetch(nullptr, "SCRYPT", nullptr));
  if (!kdf) return OpenSslError("fetch scrypt");
  EvpKdfCtx ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) return OpenSslError("new scrypt context");
  std::uint64_t maxmem = kMaxScryptMemory + (std::uint64_t{1} << 20);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
                                        const_cast<char*>(passphrase.data()), passphrase.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<std::uint8_t*>(salt.data()),
                                        salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
      OSSL_PARAM_construct_end(),
  };
  SecretKey key;
  if (EVP_KDF_derive(ctx.get(), key.bytes.data(), key.bytes.size(), params) != 1) {
    return OpenSslError("scrypt");
  }
  return key;
}

Result<KeySlot> Wrap(const MasterKey& master, std::span<const std::uint8_t, 32> wrapping_key,
                     KeySlot slot, ByteSpan store_id) {
  slot.nonce.resize(KeySlot::kNonceSize);
  CAIRN_RETURN_IF_ERROR(FillRandom(slot.nonce));
  slot.wrapped.resize(KeySlot::kWrappedSize);
  Bytes aad = SlotAad(slot.kind, store_id);
  const ByteSpan aad_parts[] = {aad};
  Aes256Gcm gcm(wrapping_key);
  CAIRN_RETURN_IF_ERROR(gcm.Seal(std::span<const std::uint8_t, 12>(slot.nonce.data(), 12),
                                 aad_parts, master.span(), slot.wrapped));
  slot.created = NowRfc3339();
  return slot;
}

std::string CorruptField(std::string_view field, std::string_view why) {
  return "key slot field \"" + std::string(field) + "\" " + std::string(why);
}

}  // namespace

std::string KeyFileSlotId(const KeyFileKey& kek) {
  std::array<std::uint8_t, 32> digest;
  Status s = crypto_internal::Sha256(kek.span(), digest);
  if (!s.ok()) crypto_internal::DieOnOpenSslFailure(s.message());
  return ToHex(ByteSpan(digest).first(8));
}

Result<KeySlot> WrapWithKeyFile(const MasterKey& master, const KeyFileKey& kek, ByteSpan store_id) {
  KeySlot slot;
  slot.kind = kKeySlotKindKeyFile;
  slot.id = KeyFileSlotId(kek);
  return Wrap(master, kek.bytes, std::move(slot), store_id);
}

Result<KeySlot> WrapWithPassphrase(const MasterKey& master, std::string_view passphrase,
                                   ByteSpan store_id, ScryptParams params) {
  if (passphrase.empty()) {
    return Status::InvalidArgument("wrap with passphrase: the passphrase is empty");
  }
  CAIRN_RETURN_IF_ERROR(
      CheckScryptParams(params.n, params.r, params.p).WithContext("wrap with passphrase"));
  KeySlot slot;
  slot.kind = kKeySlotKindPassphrase;
  std::array<std::uint8_t, 8> label;
  CAIRN_RETURN_IF_ERROR(FillRandom(label));
  slot.id = ToHex(label);
  slot.scrypt_n = params.n;
  slot.scrypt_r = params.r;
  slot.scrypt_p = params.p;
  slot.salt.resize(KeySlot::kSaltSize);
  CAIRN_RETURN_IF_ERROR(FillRandom(slot.salt));
  CAIRN_ASSIGN_OR_RETURN(SecretKey wrapping_key,
                         StretchPassphrase(passphrase, slot.salt, params.n, params.r, params.p));
  return Wrap(master, wrapping_key.bytes, std::move(slot), store_id);
}

Status ValidateKeySlot(const KeySlot& slot) {
  if (slot.kind != kKeySlotKindKeyFile && slot.kind != kKeySlotKindPassphrase) {
    return Status::Corruption(CorruptField(
        "kind", "must be \"keyfile\" or \"passphrase\", not \"" + slot.kind.substr(0, 32) + "\""));
  }
  if (slot.id.empty() || slot.id.size() > kMaxIdSize) {
    return Status::Corruption(CorruptField("id", "must be 1 to 64 characters"));
  }
  if (slot.nonce.size() != KeySlot::kNonceSize) {
    return Status::Corruption(CorruptField("nonce", "must be 12 bytes"));
  }
  if (slot.wrapped.size() != KeySlot::kWrappedSize) {
    return Status::Corruption(CorruptField("wrapped", "must be 48 bytes"));
  }
  if (slot.created.size() > kMaxCreatedSize) {
    return Status::Corruption(CorruptField("created", "is longer than 64 characters"));
  }
  if (slot.kind == kKeySlotKindPassphrase) {
    if (slot.salt.size() != KeySlot::kSaltSize) {
      return Status::Corruption(CorruptField("salt", "must be 16 bytes"));
    }
    Status s = CheckScryptParams(slot.scrypt_n, slot.scrypt_r, slot.scrypt_p);
    if (!s.ok()) return Status::Corruption("key slot: " + s.message());
  } else if (!slot.salt.empty() || slot.scrypt_n != 0 || slot.scrypt_r != 0 || slot.scrypt_p != 0) {
    return Status::Corruption("key slot: a keyfile slot has no salt or scrypt parameters");
  }
  return Status::Ok();
}

Result<MasterKey> UnwrapKeySlot(const KeySlot& slot, const KeyFileKey* kek,
                                std::optional<std::string_view> passphrase, ByteSpan store_id) {
  CAIRN_RETURN_IF_ERROR(ValidateKeySlot(slot).WithContext("unwrap key slot " + slot.id));
  SecretKey wrapping_key;
  if (slot.kind == kKeySlotKindKeyFile) {
    if (kek == nullptr) {
      return Status::InvalidArgument("key slot " + slot.id +
                                     " is opened with a key file, and none was given");
    }
    if (KeyFileSlotId(*kek) != slot.id) {
      return Status::PermissionDenied(
          "wrong key file or passphrase for this store: the key file given (id " +
          KeyFileSlotId(*kek) + ") is not the one key slot " + slot.id +
          " was made with; use that key file, a recovery passphrase, or the recovery kit");
    }
    wrapping_key.bytes = kek->bytes;
  } else {
    if (!passphrase) {
      return Status::InvalidArgument("key slot " + slot.id +
                                     " is opened with a passphrase, and none was given");
    }
    CAIRN_ASSIGN_OR_RETURN(wrapping_key, StretchPassphrase(*passphrase, slot.salt, slot.scrypt_n,
                                                           slot.scrypt_r, slot.scrypt_p));
  }
  Bytes aad = SlotAad(slot.kind, store_id);
  const ByteSpan aad_parts[] = {aad};
  Aes256Gcm gcm(wrapping_key.bytes);
  MasterKey master;
  Status s = gcm.Open(std::span<const std::uint8_t, 12>(slot.nonce.data(), 12), aad_parts,
                      slot.wrapped, master.bytes);
  if (s.IsCorruption()) {
    return Status::PermissionDenied(
        "wrong key file or passphrase for this store: key slot " + slot.id + " (" + slot.kind +
        ") did not open; check the " +
        (slot.kind == kKeySlotKindKeyFile ? std::string("key file")
                                          : std::string("passphrase (case and spaces count)")) +
        ", that the store id matches this store, or use another slot or the recovery kit");
  }
  CAIRN_RETURN_IF_ERROR(s);
  return master;
}

nlohmann::json KeySlotToJson(const KeySlot& slot) {
  nlohmann::json j = {
      {"kind", slot.kind},          {"id", slot.id},
      {"nonce", ToHex(slot.nonce)}, {"wrapped", ToHex(slot.wrapped)},
      {"created", slot.created},
  };
  if (slot.kind == kKeySlotKindPassphrase) {
    j["scrypt_n"] = slot.scrypt_n;
    j["scrypt_r"] = slot.scrypt_r;
    j["scrypt_p"] = slot.scrypt_p;
    j["salt"] = ToHex(slot.salt);
  }
  return j;
}

Result<KeySlot> KeySlotFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Status::Corruption("key slot is not a JSON object");
  auto get_string = [&](const char* field, bool required, std::string& out) -> Status {
    auto it = j.find(field);
    if (it == j.end()) {
      return required ? Status::Corruption(CorruptField(field, "is missing")) : Status::Ok();
    }
    if (!it->is_string()) return Status::Corruption(CorruptField(field, "is not a string"));
    out = it->get<std::string>();
    if (out.size() > 256) return Status::Corruption(CorruptField(field, "is too long"));
    return Status::Ok();
  };
  auto get_hex = [&](const char* field, bool required, Bytes& out) -> Status {
    std::string text;
    CAIRN_RETURN_IF_ERROR(get_string(field, required, text));
    auto raw = FromHex(text);
    if (!raw) return Status::Corruption(CorruptField(field, "is not hex"));
    out = std::move(*raw);
    return Status::Ok();
  };
  auto get_uint = [&](const char* field, std::uint64_t max, std::uint64_t& out) -> Status {
    auto it = j.find(field);
    if (it == j.end()) return Status::Corruption(CorruptField(field, "is missing"));
    if (!it->is_number_unsigned() || it->get<std::uint64_t>() > max) {
      return Status::Corruption(CorruptField(field, "is not an unsigned integer in range"));
    }
    out = it->get<std::uint64_t>();
    return Status::Ok();
  };

  KeySlot slot;
  CAIRN_RETURN_IF_ERROR(get_string("kind", true, slot.kind));
  CAIRN_RETURN_IF_ERROR(get_string("id", true, slot.id));
  CAIRN_RETURN_IF_ERROR(get_hex("nonce", true, slot.nonce));
  CAIRN_RETURN_IF_ERROR(get_hex("wrapped", true, slot.wrapped));
  CAIRN_RETURN_IF_ERROR(get_string("created", false, slot.created));
  if (slot.kind == kKeySlotKindPassphrase) {
    std::uint64_t r = 0, p = 0;
    CAIRN_RETURN_IF_ERROR(get_uint("scrypt_n", kMaxScryptN, slot.scrypt_n));
    CAIRN_RETURN_IF_ERROR(get_uint("scrypt_r", kMaxScryptR, r));
    CAIRN_RETURN_IF_ERROR(get_uint("scrypt_p", kMaxScryptP, p));
    slot.scrypt_r = static_cast<std::uint32_t>(r);
    slot.scrypt_p = static_cast<std::uint32_t>(p);
    CAIRN_RETURN_IF_ERROR(get_hex("salt", true, slot.salt));
  }
  CAIRN_RETURN_IF_ERROR(ValidateKeySlot(slot));
  return slot;
}

void to_json(nlohmann::json& j, const KeySlot& slot) { j = KeySlotToJson(slot); }

void from_json(const nlohmann::json& j, KeySlot& slot) {
  auto parsed = KeySlotFromJson(j);
  if (!parsed.ok()) throw nlohmann::json::other_error::create(501, parsed.error().message(), &j);
  slot = std::move(*parsed);
}

}  // namespace cairn
