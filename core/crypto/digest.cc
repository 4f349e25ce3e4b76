#include "core/crypto/digest.h"

#include <array>

#include "core/crypto/openssl_util.h"

namespace cairn {

Result<std::string> Sha256Hex(ByteSpan data) {
  std::array<std::uint8_t, 32> digest{};
  CAIRN_RETURN_IF_ERROR(crypto_internal::Sha256(data, digest));
  return ToHex(digest);
}

}  // namespace cairn
