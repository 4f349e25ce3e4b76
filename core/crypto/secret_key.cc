#include "core/crypto/secret_key.h"

#include <openssl/crypto.h>

#include "core/crypto/random.h"

namespace cairn {

SecretKey::~SecretKey() { OPENSSL_cleanse(bytes.data(), bytes.size()); }

bool operator==(const SecretKey& a, const SecretKey& b) {
  return CRYPTO_memcmp(a.bytes.data(), b.bytes.data(), SecretKey::kSize) == 0;
}

Result<MasterKey> GenerateMasterKey() {
  MasterKey key;
  CAIRN_RETURN_IF_ERROR(FillRandom(key.bytes));
  return key;
}

void Cleanse(MutableByteSpan buf) {
  if (!buf.empty()) OPENSSL_cleanse(buf.data(), buf.size());
}

}  // namespace cairn
