#include "core/crypto/random.h"

#include <openssl/rand.h>

#include <climits>

#include "core/crypto/openssl_util.h"

namespace cairn {

Status FillRandom(MutableByteSpan out) {
  // RAND_bytes takes an int length; split larger requests.
  while (!out.empty()) {
    std::size_t n = std::min<std::size_t>(out.size(), INT_MAX);
    if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
      return crypto_internal::OpenSslError("generate random bytes");
    }
    out = out.subspan(n);
  }
  return Status::Ok();
}

}  // namespace cairn
