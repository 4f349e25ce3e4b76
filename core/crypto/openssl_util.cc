#include "core/crypto/openssl_util.h"

#include <openssl/core_names.h>
#include <openssl/err.h>

#include <cstdio>
#include <cstdlib>

namespace cairn::crypto_internal {

std::string DrainOpenSslErrors() {
  std::string out;
  char buf[256];
  while (unsigned long e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  if (out.empty()) out = "no OpenSSL error reported";
  return out;
}

Status OpenSslError(std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += DrainOpenSslErrors();
  return Status::IoError(std::move(msg));
}

void DieOnOpenSslFailure(std::string_view what) {
  std::string errors = DrainOpenSslErrors();
  std::fprintf(stderr, "fatal crypto_failure what=\"%.*s\" openssl=\"%s\"\n",
               static_cast<int>(what.size()), what.data(), errors.c_str());
  std::abort();
}

Status HkdfSha256(ByteSpan key, ByteSpan salt, ByteSpan info, MutableByteSpan out) {
  EvpKdf kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  if (!kdf) return OpenSslError("fetch HKDF");
  EvpKdfCtx ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) return OpenSslError("new HKDF context");
  char digest[] = "SHA256";
  // OSSL_PARAM wants non-const pointers; OpenSSL only reads them here.
  OSSL_PARAM params[5];
  OSSL_PARAM* p = params;
  *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                           const_cast<std::uint8_t*>(key.data()), key.size());
  // OpenSSL rejects a zero-length salt parameter; leaving it out is the same
  // thing in RFC 5869 (an absent salt is HashLen zero bytes).
  if (!salt.empty()) {
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                             const_cast<std::uint8_t*>(salt.data()), salt.size());
  }
  *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                           const_cast<std::uint8_t*>(info.data()), info.size());
  *p = OSSL_PARAM_construct_end();
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    return OpenSslError("HKDF-SHA256 derive");
  }
  return Status::Ok();
}

Status Sha256(ByteSpan data, std::span<std::uint8_t, 32> out) {
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != out.size()) {
    return OpenSslError("SHA-256");
  }
  return Status::Ok();
}

}  // namespace cairn::crypto_internal
