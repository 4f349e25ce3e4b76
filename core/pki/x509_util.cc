#include "core/pki/x509_util.h"

#include "core/crypto/openssl_util.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <ctime>

namespace cairn::pki::internal {
namespace {

using crypto_internal::DrainOpenSslErrors;

Result<std::string> MemoryBioContents(BIO* bio, std::string_view what) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  if (size < 0 || (size > 0 && data == nullptr)) return OpenSslError(what);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string TooLarge(std::string_view what, std::size_t size, std::size_t limit) {
  return std::string(what) + " is " + std::to_string(size) + " bytes; the limit is " +
         std::to_string(limit) + " bytes";
}

}  // namespace

int RefusePassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*user_data*/) {
  return -1;
}

std::string TakeOpenSslReason() {
  unsigned long e = ERR_get_error();
  std::string reason;
  if (e == 0) {
    reason = "no OpenSSL error reported";
  } else if (const char* r = ERR_reason_error_string(e); r != nullptr) {
    reason = r;
  } else {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    reason = buf;
  }
  ERR_clear_error();
  return reason;
}

Status OpenSslError(std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += DrainOpenSslErrors();
  return Status::IoError(std::move(msg));
}

Result<BioPtr> ReadOnlyBio(std::string_view data) {
  // Callers bound their inputs far below INT_MAX; this guards the cast.
  if (data.size() > static_cast<std::size_t>(INT32_MAX)) {
    return Status::InvalidArgument("input too large for OpenSSL");
  }
  BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  if (!bio) return OpenSslError("new memory BIO");
  return bio;
}

Result<X509Ptr> ReadFirstCertificate(std::string_view pem, std::string_view what) {
  if (pem.size() > kMaxCertificatePemBytes) {
    return Status::InvalidArgument(TooLarge(what, pem.size(), kMaxCertificatePemBytes) +
                                   ": pass a single PEM certificate");
  }
  CAIRN_ASSIGN_OR_RETURN(BioPtr bio, ReadOnlyBio(pem));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, RefusePassphrase, nullptr));
  if (!cert) {
    return Status::InvalidArgument(std::string(what) +
                                   " is not a PEM certificate (OpenSSL: " + TakeOpenSslReason() +
                                   "); pass the text from -----BEGIN CERTIFICATE----- to "
                                   "-----END CERTIFICATE-----");
  }
  return cert;
}

Result<EvpPkeyPtr> ReadPrivateKey(std::string_view pem, std::string_view what) {
  if (pem.size() > kMaxPrivateKeyPemBytes) {
    return Status::InvalidArgument(TooLarge(what, pem.size(), kMaxPrivateKeyPemBytes) +
                                   ": pass a single PEM private key");
  }
  CAIRN_ASSIGN_OR_RETURN(BioPtr bio, ReadOnlyBio(pem));
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, RefusePassphrase, nullptr));
  if (!key) {
    return Status::InvalidArgument(
        std::string(what) +
        " is not an unencrypted PEM private key (OpenSSL: " + TakeOpenSslReason() +
        "); pass the key file written with the CA, without a "
        "passphrase");
  }
  return key;
}

Result<std::string> CertificateToPem(const X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return OpenSslError("new memory BIO");
  if (PEM_write_bio_X509(bio.get(), cert) != 1) return OpenSslError("write certificate PEM");
  return MemoryBioContents(bio.get(), "read certificate PEM");
}

Result<std::string> CsrToPem(const X509_REQ* req) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return OpenSslError("new memory BIO");
  if (PEM_write_bio_X509_REQ(bio.get(), req) != 1) return OpenSslError("write CSR PEM");
  return MemoryBioContents(bio.get(), "read CSR PEM");
}

Result<std::string> PrivateKeyToPem(const EVP_PKEY* key) {
  // The secure-memory BIO clears its buffer when freed, so the key's only
  // remaining copy is the string handed to the caller.
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio) return OpenSslError("new memory BIO");
  if (PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslError("write private key PEM");
  }
  return MemoryBioContents(bio.get(), "read private key PEM");
}

Result<EvpPkeyPtr> GenerateP256Key() {
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return OpenSslError("generate EC P-256 key");
  return key;
}

Result<std::string> CertificateSha256(const X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &len) != 1 || len != 32) {
    return OpenSslError("SHA-256 of certificate");
  }
  return LowerHex(md, len);
}

Result<std::string> SerialHex(const X509* cert) {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  if (serial == nullptr) return Status::InvalidArgument("certificate has no serial number");
  BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!bn) return OpenSslError("read serial number");
  std::string bytes(static_cast<std::size_t>(BN_num_bytes(bn.get())), '\0');
  BN_bn2bin(bn.get(), reinterpret_cast<unsigned char*>(bytes.data()));
  std::string hex = LowerHex(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  std::size_t first = hex.find_first_not_of('0');
  hex = first == std::string::npos ? "0" : hex.substr(first);
  // Negative serials are invalid (RFC 5280 4.1.2.2) but exist in the wild;
  // keep the sign rather than report a different number.
  if (BN_is_negative(bn.get())) hex.insert(0, "-");
  return hex;
}

Result<std::int64_t> UnixSeconds(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) {
    return Status::InvalidArgument(
        "certificate has an unreadable validity time (OpenSSL: " + TakeOpenSslReason() + ")");
  }
  return static_cast<std::int64_t>(timegm(&tm));
}

std::string LowerHex(const unsigned char* data, std::size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0x0f];
  }
  return out;
}

}  // namespace cairn::pki::internal
