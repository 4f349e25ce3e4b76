#include "core/pki/certificate_authority.h"

#include <openssl/err.h>
#include <openssl/obj_mac.h>

#include <utility>

#include "core/pki/certificate_builder.h"
#include "core/pki/csr.h"

namespace cairn::pki {
namespace {

using internal::AddExtension;
using internal::EvpPkeyPtr;
using internal::X509NamePtr;
using internal::X509Ptr;

// The facts a caller records about a certificate it was just handed (the
// registry keeps serial, fingerprint and expiry beside the agent).
Result<IssuedCertificate> Describe(const X509* cert) {
  IssuedCertificate out;
  CAIRN_ASSIGN_OR_RETURN(out.cert_pem, internal::CertificateToPem(cert));
  CAIRN_ASSIGN_OR_RETURN(out.serial_hex, internal::SerialHex(cert));
  CAIRN_ASSIGN_OR_RETURN(out.sha256_hex, internal::CertificateSha256(cert));
  CAIRN_ASSIGN_OR_RETURN(out.not_after_unix, internal::UnixSeconds(X509_get0_notAfter(cert)));
  return out;
}

}  // namespace

Result<CaMaterial> CreateCertificateAuthority(std::string_view common_name,
                                              std::chrono::seconds validity) {
  CAIRN_ASSIGN_OR_RETURN(X509NamePtr name, internal::MakeName(common_name, ""));
  CAIRN_ASSIGN_OR_RETURN(EvpPkeyPtr key, internal::GenerateP256Key());
  CAIRN_ASSIGN_OR_RETURN(X509Ptr cert,
                         internal::NewCertificate(name.get(), name.get(), key.get(), validity));
  X509* c = cert.get();
  // pathlen:0: this CA signs leaves only, so a leaked leaf key can never
  // mint further certificates that chain here.
  CAIRN_RETURN_IF_ERROR(AddExtension(c, c, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
  CAIRN_RETURN_IF_ERROR(AddExtension(c, c, NID_key_usage, "critical,keyCertSign,cRLSign"));
  CAIRN_RETURN_IF_ERROR(AddExtension(c, c, NID_subject_key_identifier, "hash"));
  CAIRN_RETURN_IF_ERROR(internal::SignCertificate(c, key.get()));
  CaMaterial out;
  CAIRN_ASSIGN_OR_RETURN(out.cert_pem, internal::CertificateToPem(c));
  CAIRN_ASSIGN_OR_RETURN(out.key_pem, internal::PrivateKeyToPem(key.get()));
  return out;
}

CertificateAuthority::CertificateAuthority(internal::X509Ptr cert, internal::EvpPkeyPtr key,
                                           std::string cert_pem, std::string sha256_hex)
    : cert_(std::move(cert)),
      key_(std::move(key)),
      cert_pem_(std::move(cert_pem)),
      sha256_hex_(std::move(sha256_hex)) {}

Result<CertificateAuthority> CertificateAuthority::Load(std::string_view cert_pem,
                                                        std::string_view key_pem) {
  CAIRN_ASSIGN_OR_RETURN(X509Ptr cert,
                         internal::ReadFirstCertificate(cert_pem, "the CA certificate"));
  CAIRN_ASSIGN_OR_RETURN(EvpPkeyPtr key, internal::ReadPrivateKey(key_pem, "the CA key"));
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();  // OpenSSL's reason is "key values mismatch", said better below
    return Status::InvalidArgument(
        "the CA key does not belong to the CA certificate: load the key file that was created "
        "together with this certificate");
  }
  // X509_check_ca also fills OpenSSL's cached extension data for the
  // certificate now, so later concurrent signing only reads it.
  if (X509_check_ca(cert.get()) != 1) {
    return Status::InvalidArgument(
        "the CA certificate is not a certificate authority (no basicConstraints CA:TRUE with "
        "keyCertSign): load the appliance's CA certificate, not a server or agent certificate");
  }
  CAIRN_ASSIGN_OR_RETURN(std::string pem, internal::CertificateToPem(cert.get()));
  CAIRN_ASSIGN_OR_RETURN(std::string sha256, internal::CertificateSha256(cert.get()));
  return CertificateAuthority(std::move(cert), std::move(key), std::move(pem), std::move(sha256));
}

Result<IssuedCertificate> CertificateAuthority::IssueServerCertificate(
    std::string_view common_name, const std::vector<std::string>& dns_names,
    const std::vector<std::string>& ip_addresses, std::chrono::seconds validity) const {
  CAIRN_ASSIGN_OR_RETURN(X509NamePtr subject, internal::MakeName(common_name, ""));
  CAIRN_ASSIGN_OR_RETURN(EvpPkeyPtr key, internal::GenerateP256Key());
  CAIRN_ASSIGN_OR_RETURN(X509Ptr cert,
                         internal::NewCertificate(subject.get(), X509_get_subject_name(cert_.get()),
                                                  key.get(), validity));
  CAIRN_RETURN_IF_ERROR(internal::AddSubjectAltNames(cert.get(), dns_names, ip_addresses));
  CAIRN_ASSIGN_OR_RETURN(IssuedCertificate out, FinishLeaf(cert.get(), "serverAuth"));
  CAIRN_ASSIGN_OR_RETURN(out.key_pem, internal::PrivateKeyToPem(key.get()));
  return out;
}

Result<IssuedCertificate> CertificateAuthority::SignClientCsr(std::string_view csr_pem,
                                                              std::string_view common_name,
                                                              std::string_view organization,
                                                              std::chrono::seconds validity) const {
  CAIRN_ASSIGN_OR_RETURN(EvpPkeyPtr key, internal::ReadClientCsrKey(csr_pem));
  // The subject comes from the caller alone; nothing else of the CSR is read.
  CAIRN_ASSIGN_OR_RETURN(X509NamePtr subject, internal::MakeName(common_name, organization));
  CAIRN_ASSIGN_OR_RETURN(X509Ptr cert,
                         internal::NewCertificate(subject.get(), X509_get_subject_name(cert_.get()),
                                                  key.get(), validity));
  return FinishLeaf(cert.get(), "clientAuth");
}

Result<IssuedCertificate> CertificateAuthority::FinishLeaf(X509* cert, const char* eku) const {
  X509* ca = cert_.get();
  CAIRN_RETURN_IF_ERROR(AddExtension(cert, ca, NID_basic_constraints, "critical,CA:FALSE"));
  CAIRN_RETURN_IF_ERROR(AddExtension(cert, ca, NID_key_usage, "critical,digitalSignature"));
  CAIRN_RETURN_IF_ERROR(AddExtension(cert, ca, NID_ext_key_usage, eku));
  CAIRN_RETURN_IF_ERROR(AddExtension(cert, ca, NID_subject_key_identifier, "hash"));
  // "keyid" copies the CA's subject key id, which lets a verifier pick the
  // right CA certificate across a CA rollover.
  CAIRN_RETURN_IF_ERROR(AddExtension(cert, ca, NID_authority_key_identifier, "keyid"));
  CAIRN_RETURN_IF_ERROR(internal::SignCertificate(cert, key_.get()));
  return Describe(cert);
}

}  // namespace cairn::pki
