// ChunkHasher: names a chunk by HMAC-SHA-256(id key, plaintext). Keyed, so
// the ids in a bucket reveal neither content nor equality with a known file;
// SHA-NI makes it the fastest 256-bit choice on the appliance CPUs.
//
// One EVP_MAC_CTX is keyed once per object and re-initialised per chunk
// (HMAC keeps the key's inner/outer pad state), so Hash() allocates nothing.
//
// Thread-safety: thread-confined; make one hasher per worker thread (cheap:
// one provider fetch and one context).
#pragma once

#include "core/base/bytes.h"
#include "core/base/chunk_id.h"
#include "core/crypto/openssl_util.h"
#include "core/crypto/secret_key.h"

namespace cairn {

class ChunkHasher {
 public:
  // Aborts (openssl_util.h) only if OpenSSL cannot provide HMAC-SHA-256.
  explicit ChunkHasher(const IdKey& key);
  ChunkHasher(const ChunkHasher&) = delete;
  ChunkHasher& operator=(const ChunkHasher&) = delete;
  ChunkHasher(ChunkHasher&&) noexcept = default;
  ChunkHasher& operator=(ChunkHasher&&) noexcept = default;
  ~ChunkHasher() = default;

  // The chunk id of `data`. Cannot fail with a working OpenSSL (aborts
  // otherwise, as above: a wrong id would silently corrupt deduplication).
  ChunkId Hash(ByteSpan data);

 private:
  crypto_internal::EvpMac mac_;
  crypto_internal::EvpMacCtx ctx_;
};

}  // namespace cairn
