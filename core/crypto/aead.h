// Aes256Gcm: authenticated encryption (AES-256-GCM, 12-byte nonce, 16-byte
// tag) with one reusable EVP_CIPHER_CTX, so the hot path allocates nothing
// beyond the caller's output buffer.
//
// The caller owns nonce uniqueness: with random 96-bit nonces (FillRandom) a
// key is good for about 2^32 messages before the collision risk reaches
// 2^-32 (NIST SP 800-38D, 8.3); Cairn's data key seals one object per chunk,
// far below that per store.
//
// Thread-safety: thread-confined; one object per worker thread. Cheap to
// construct (one context, key schedule on first use).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/base/bytes.h"
#include "core/base/status.h"
#include "core/crypto/openssl_util.h"
#include "core/crypto/secret_key.h"

namespace cairn {

class Aes256Gcm {
 public:
  static constexpr std::size_t kKeySize = 32;
  static constexpr std::size_t kNonceSize = 12;
  static constexpr std::size_t kTagSize = 16;
  using Nonce = std::span<const std::uint8_t, kNonceSize>;

  // Aborts (see openssl_util.h) only if OpenSSL cannot allocate a context.
  explicit Aes256Gcm(std::span<const std::uint8_t, kKeySize> key);
  Aes256Gcm(const Aes256Gcm&) = delete;
  Aes256Gcm& operator=(const Aes256Gcm&) = delete;
  Aes256Gcm(Aes256Gcm&&) noexcept = default;
  Aes256Gcm& operator=(Aes256Gcm&&) noexcept = default;
  ~Aes256Gcm() = default;

  // Encrypts `plaintext` into `out` as ciphertext || tag; out.size() must be
  // plaintext.size() + kTagSize (InvalidArgument otherwise). The associated
  // data is the concatenation of the `aad` pieces. `out` may alias
  // `plaintext` exactly (in place) but must not otherwise overlap it.
  [[nodiscard]] Status Seal(Nonce nonce, std::span<const ByteSpan> aad, ByteSpan plaintext,
                            MutableByteSpan out);

  // Verifies and decrypts `sealed` (ciphertext || tag) into `out`, whose size
  // must be sealed.size() - kTagSize. A wrong key, nonce, associated data or
  // any changed byte is Corruption("authentication failed ..."); `out` then
  // holds no plaintext (it is zeroed).
  [[nodiscard]] Status Open(Nonce nonce, std::span<const ByteSpan> aad, ByteSpan sealed,
                            MutableByteSpan out);

 private:
  enum class Mode : std::uint8_t { kNone, kEncrypt, kDecrypt };
  Status Init(Mode mode, Nonce nonce);
  Status AddAad(std::span<const ByteSpan> aad);

  SecretKey key_;  // kept to re-key the context when switching direction
  crypto_internal::EvpCipherCtx ctx_;
  Mode mode_ = Mode::kNone;
};

}  // namespace cairn
