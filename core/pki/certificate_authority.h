// The appliance's own certificate authority: created once at setup, then
// loaded at start-up to issue the appliance's TLS server certificate and to
// sign the client certificates agents enroll with.
//
// The CA is deliberately narrow: pathLen 0 (it signs only leaves), every
// leaf gets a fresh EC P-256 key or a CSR-checked EC P-256 / Ed25519 key,
// and a client certificate's subject comes only from the caller -- an agent
// cannot name itself through its CSR. Agents pin the CA by the SHA-256 of its
// certificate (sha256_hex()), shown to the operator at enrollment.
//
// Thread-safety: CreateCertificateAuthority is a pure function. A loaded
// CertificateAuthority is immutable; its const methods may be called from
// several threads at once (OpenSSL 3 keys and certificates are safe for
// concurrent read-only use, which is all signing needs). Move-only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/pki/x509_util.h"
#include "core/base/status.h"

namespace cairn::pki {

// A CA's certificate and its private key, both PEM. The key is unencrypted
// PKCS#8: the caller stores it owner-only.
struct CaMaterial {
  std::string cert_pem;
  std::string key_pem;
};

// A new CA: EC P-256 key, self-signed, basicConstraints critical CA:TRUE
// pathlen:0, keyUsage critical keyCertSign+cRLSign, subject key id, random
// positive serial of up to 128 bits. notBefore = now - 5 minutes (clock
// skew), notAfter = now + validity. InvalidArgument for a bad name or
// validity.
Result<CaMaterial> CreateCertificateAuthority(std::string_view common_name,
                                              std::chrono::seconds validity);

// A certificate the CA just signed.
struct IssuedCertificate {
  std::string cert_pem;
  std::string key_pem;     // the new private key (PKCS#8 PEM); empty when signing a CSR
  std::string serial_hex;  // lowercase, no leading zeros; as CertificateInfo reports it
  std::string sha256_hex;  // SHA-256 of the DER, lowercase
  std::int64_t not_after_unix = 0;
};

class CertificateAuthority {
 public:
  // Parses the CA certificate and its key. InvalidArgument when either does
  // not parse, the key is encrypted, the key does not belong to the
  // certificate, or the certificate is not a CA (basicConstraints CA:TRUE).
  static Result<CertificateAuthority> Load(std::string_view cert_pem, std::string_view key_pem);

  CertificateAuthority(CertificateAuthority&&) noexcept = default;
  CertificateAuthority& operator=(CertificateAuthority&&) noexcept = default;
  CertificateAuthority(const CertificateAuthority&) = delete;
  CertificateAuthority& operator=(const CertificateAuthority&) = delete;
  ~CertificateAuthority() = default;

  // The CA certificate as PEM (re-encoded from the parsed certificate).
  const std::string& cert_pem() const { return cert_pem_; }
  // SHA-256 of the CA certificate's DER, lowercase hex: the enrollment pin.
  std::string sha256_hex() const { return sha256_hex_; }

  // A new EC P-256 key and a certificate for a TLS server: subject
  // CN=common_name, subjectAltName with the DNS names and IP addresses (at
  // least one of either is required), EKU serverAuth, CA:FALSE, keyUsage
  // digitalSignature, authority and subject key ids.
  Result<IssuedCertificate> IssueServerCertificate(std::string_view common_name,
                                                   const std::vector<std::string>& dns_names,
                                                   const std::vector<std::string>& ip_addresses,
                                                   std::chrono::seconds validity) const;

  // Signs an agent's CSR. The subject is built only from the arguments
  // (CN=common_name, O=organization; an empty organization leaves O out);
  // the CSR's own subject and requested extensions are ignored. InvalidArgument, saying what is
  // wrong and what to do, when the CSR PEM is over 16 KiB, does not parse, its self-signature does
  // not verify, or its key is not EC P-256 or Ed25519. The certificate has EKU clientAuth,
  // CA:FALSE, keyUsage digitalSignature, authority and subject key ids and a random serial of up to
  // 128 bits.
  Result<IssuedCertificate> SignClientCsr(std::string_view csr_pem, std::string_view common_name,
                                          std::string_view organization,
                                          std::chrono::seconds validity) const;

 private:
  CertificateAuthority(internal::X509Ptr cert, internal::EvpPkeyPtr key, std::string cert_pem,
                       std::string sha256_hex);

  // Adds the leaf extensions shared by server and client certificates,
  // `eku` ("serverAuth"/"clientAuth"), signs, and reports the result.
  Result<IssuedCertificate> FinishLeaf(X509* cert, const char* eku) const;

  internal::X509Ptr cert_;
  internal::EvpPkeyPtr key_;
  std::string cert_pem_;
  std::string sha256_hex_;
};

}  // namespace cairn::pki
