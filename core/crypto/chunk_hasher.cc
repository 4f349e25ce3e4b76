#include "core/crypto/chunk_hasher.h"

#include <openssl/core_names.h>

namespace cairn {

using crypto_internal::DieOnOpenSslFailure;

ChunkHasher::ChunkHasher(const IdKey& key) : mac_(EVP_MAC_fetch(nullptr, "HMAC", nullptr)) {
  if (!mac_) DieOnOpenSslFailure("fetch HMAC");
  ctx_.reset(EVP_MAC_CTX_new(mac_.get()));
  if (!ctx_) DieOnOpenSslFailure("allocate an HMAC context");
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_MAC_init(ctx_.get(), key.bytes.data(), key.bytes.size(), params) != 1) {
    DieOnOpenSslFailure("key HMAC-SHA-256");
  }
}

ChunkId ChunkHasher::Hash(ByteSpan data) {
  // A null key re-initialises with the key already set (OpenSSL 3 HMAC),
  // restoring the precomputed pad state without re-hashing the key.
  if (EVP_MAC_init(ctx_.get(), nullptr, 0, nullptr) != 1 ||
      EVP_MAC_update(ctx_.get(), data.data(), data.size()) != 1) {
    DieOnOpenSslFailure("HMAC-SHA-256 update");
  }
  ChunkId id;
  std::size_t len = 0;
  if (EVP_MAC_final(ctx_.get(), id.bytes.data(), &len, id.bytes.size()) != 1 ||
      len != ChunkId::kSize) {
    DieOnOpenSslFailure("HMAC-SHA-256 final");
  }
  return id;
}

}  // namespace cairn
