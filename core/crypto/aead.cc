#include "core/crypto/aead.h"

#include <openssl/core_names.h>

#include <algorithm>
#include <climits>
#include <cstring>

namespace cairn {
namespace {

using crypto_internal::OpenSslError;

// EVP_*Update take an int length: feed long inputs in slices.
constexpr std::size_t kMaxSlice = 1u << 30;

}  // namespace

Aes256Gcm::Aes256Gcm(std::span<const std::uint8_t, kKeySize> key) : ctx_(EVP_CIPHER_CTX_new()) {
  if (!ctx_) crypto_internal::DieOnOpenSslFailure("allocate an AES-256-GCM context");
  std::memcpy(key_.bytes.data(), key.data(), kKeySize);
}

Status Aes256Gcm::Init(Mode mode, Nonce nonce) {
  const int enc = mode == Mode::kEncrypt ? 1 : 0;
  if (mode_ != mode) {
    // First use in this direction: set cipher and key (the key schedule).
    if (EVP_CipherInit_ex2(ctx_.get(), EVP_aes_256_gcm(), key_.bytes.data(), nullptr, enc,
                           nullptr) != 1) {
      mode_ = Mode::kNone;
      return OpenSslError("AES-256-GCM key setup");
    }
    mode_ = mode;
  }
  // Same cipher and key: only the nonce changes (12 bytes is GCM's default
  // IV length, so no IVLEN parameter is needed).
  if (EVP_CipherInit_ex2(ctx_.get(), nullptr, nullptr, nonce.data(), enc, nullptr) != 1) {
    mode_ = Mode::kNone;
    return OpenSslError("AES-256-GCM nonce setup");
  }
  return Status::Ok();
}

Status Aes256Gcm::AddAad(std::span<const ByteSpan> aad) {
  int n = 0;
  for (ByteSpan piece : aad) {
    while (!piece.empty()) {
      std::size_t len = std::min(piece.size(), kMaxSlice);
      if (EVP_CipherUpdate(ctx_.get(), nullptr, &n, piece.data(), static_cast<int>(len)) != 1) {
        return OpenSslError("AES-256-GCM associated data");
      }
      piece = piece.subspan(len);
    }
  }
  return Status::Ok();
}

Status Aes256Gcm::Seal(Nonce nonce, std::span<const ByteSpan> aad, ByteSpan plaintext,
                       MutableByteSpan out) {
  if (out.size() != plaintext.size() + kTagSize) {
    return Status::InvalidArgument("AES-256-GCM seal: output must be the plaintext size + 16");
  }
  CAIRN_RETURN_IF_ERROR(Init(Mode::kEncrypt, nonce));
  CAIRN_RETURN_IF_ERROR(AddAad(aad));
  std::size_t done = 0;
  while (done < plaintext.size()) {
    std::size_t len = std::min(plaintext.size() - done, kMaxSlice);
    int n = 0;
    if (EVP_EncryptUpdate(ctx_.get(), out.data() + done, &n, plaintext.data() + done,
                          static_cast<int>(len)) != 1) {
      return OpenSslError("AES-256-GCM encrypt");
    }
    done += static_cast<std::size_t>(n);
  }
  int n = 0;
  if (EVP_EncryptFinal_ex(ctx_.get(), out.data() + done, &n) != 1 || n != 0) {
    return OpenSslError("AES-256-GCM encrypt final");
  }
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, out.data() + done, kTagSize),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_CIPHER_CTX_get_params(ctx_.get(), params) != 1) {
    return OpenSslError("AES-256-GCM get tag");
  }
  return Status::Ok();
}

Status Aes256Gcm::Open(Nonce nonce, std::span<const ByteSpan> aad, ByteSpan sealed,
                       MutableByteSpan out) {
  if (sealed.size() < kTagSize || out.size() != sealed.size() - kTagSize) {
    return Status::InvalidArgument("AES-256-GCM open: output must be the sealed size - 16");
  }
  const std::size_t ct_size = sealed.size() - kTagSize;
  CAIRN_RETURN_IF_ERROR(Init(Mode::kDecrypt, nonce));
  // The tag is only read by OpenSSL; the parameter API wants a non-const pointer.
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(
          OSSL_CIPHER_PARAM_AEAD_TAG, const_cast<std::uint8_t*>(sealed.data() + ct_size), kTagSize),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_CIPHER_CTX_set_params(ctx_.get(), params) != 1) {
    return OpenSslError("AES-256-GCM set tag");
  }
  CAIRN_RETURN_IF_ERROR(AddAad(aad));
  std::size_t done = 0;
  while (done < ct_size) {
    std::size_t len = std::min(ct_size - done, kMaxSlice);
    int n = 0;
    if (EVP_DecryptUpdate(ctx_.get(), out.data() + done, &n, sealed.data() + done,
                          static_cast<int>(len)) != 1) {
      return OpenSslError("AES-256-GCM decrypt");
    }
    done += static_cast<std::size_t>(n);
  }
  int n = 0;
  if (EVP_DecryptFinal_ex(ctx_.get(), out.data() + done, &n) != 1) {
    crypto_internal::DrainOpenSslErrors();  // a tag mismatch queues no useful detail
    Cleanse(out);
    return Status::Corruption(
        "authentication failed: wrong key, or the bytes, their header or their name were "
        "changed");
  }
  return Status::Ok();
}

}  // namespace cairn
