#include "core/pki/certificate_info.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <cstring>
#include <utility>

#include "core/pki/x509_util.h"

namespace cairn::pki {
namespace {

using internal::BioPtr;
using internal::X509Ptr;

void FreeOpenSslChars(char* p) { OPENSSL_free(p); }
void FreeOpenSslBytes(unsigned char* p) { OPENSSL_free(p); }
using OpenSslChars = CHandle<char, FreeOpenSslChars>;
using OpenSslBytes = CHandle<unsigned char, FreeOpenSslBytes>;

// The value of the first `nid` entry of `name` as UTF-8; empty when absent.
Result<std::string> NameEntry(const X509_NAME* name, int nid) {
  int index = X509_NAME_get_index_by_NID(name, nid, -1);
  if (index < 0) return std::string();
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, value);
  OpenSslBytes owned(utf8);
  if (len < 0) {
    return Status::InvalidArgument("certificate has an unreadable name entry (OpenSSL: " +
                                   internal::TakeOpenSslReason() + ")");
  }
  return std::string(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(len));
}

// Every certificate in a PEM chain, in order, under the chain bounds.
Result<std::vector<X509Ptr>> ReadCertificates(std::string_view pem, std::string_view what) {
  if (pem.size() > kMaxChainPemBytes) {
    return Status::InvalidArgument(std::string(what) + " is " + std::to_string(pem.size()) +
                                   " bytes; the limit is " + std::to_string(kMaxChainPemBytes) +
                                   ": pass only the certificates of the chain");
  }
  CAIRN_ASSIGN_OR_RETURN(BioPtr bio, internal::ReadOnlyBio(pem));
  std::vector<X509Ptr> certs;
  while (true) {
    char* raw_name = nullptr;
    char* raw_header = nullptr;
    unsigned char* raw_data = nullptr;
    long len = 0;
    int ok = PEM_read_bio(bio.get(), &raw_name, &raw_header, &raw_data, &len);
    OpenSslChars name(raw_name);
    OpenSslChars header(raw_header);
    OpenSslBytes data(raw_data);
    if (ok != 1) {
      unsigned long e = ERR_peek_last_error();
      if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE &&
          !certs.empty()) {
        ERR_clear_error();  // the normal end: no further BEGIN line
        break;
      }
      return Status::InvalidArgument(
          std::string(what) + " holds no readable PEM certificate (OpenSSL: " +
          internal::TakeOpenSslReason() + "); pass -----BEGIN CERTIFICATE----- blocks");
    }
    if (std::strcmp(name.get(), PEM_STRING_X509) != 0) {
      return Status::InvalidArgument(std::string(what) + " contains a \"" + name.get() +
                                     "\" block; keep only CERTIFICATE blocks in it (and never "
                                     "put a private key in a certificate file)");
    }
    if (certs.size() == kMaxChainCertificates) {
      return Status::InvalidArgument(std::string(what) + " holds more than " +
                                     std::to_string(kMaxChainCertificates) +
                                     " certificates; pass only the chain that is needed");
    }
    const unsigned char* p = data.get();
    X509Ptr cert(d2i_X509(nullptr, &p, len));
    if (!cert || p != data.get() + len) {
      return Status::InvalidArgument(std::string(what) + " has a damaged certificate (number " +
                                     std::to_string(certs.size() + 1) +
                                     ", OpenSSL: " + internal::TakeOpenSslReason() +
                                     "); copy the file again from its source");
    }
    certs.push_back(std::move(cert));
  }
  return certs;
}

}  // namespace

Result<CertificateInfo> ParseCertificatePem(std::string_view pem) {
  CAIRN_ASSIGN_OR_RETURN(X509Ptr cert, internal::ReadFirstCertificate(pem, "the certificate"));
  CertificateInfo info;
  const X509_NAME* subject = X509_get_subject_name(cert.get());
  CAIRN_ASSIGN_OR_RETURN(info.common_name, NameEntry(subject, NID_commonName));
  CAIRN_ASSIGN_OR_RETURN(info.organization, NameEntry(subject, NID_organizationName));
  CAIRN_ASSIGN_OR_RETURN(info.issuer_common_name,
                         NameEntry(X509_get_issuer_name(cert.get()), NID_commonName));
  CAIRN_ASSIGN_OR_RETURN(info.serial_hex, internal::SerialHex(cert.get()));
  CAIRN_ASSIGN_OR_RETURN(info.sha256_hex, internal::CertificateSha256(cert.get()));
  CAIRN_ASSIGN_OR_RETURN(info.not_before_unix,
                         internal::UnixSeconds(X509_get0_notBefore(cert.get())));
  CAIRN_ASSIGN_OR_RETURN(info.not_after_unix,
                         internal::UnixSeconds(X509_get0_notAfter(cert.get())));
  info.is_ca = (X509_get_extension_flags(cert.get()) & EXFLAG_CA) != 0;
  return info;
}

Result<std::vector<std::string>> SplitPemCertificates(std::string_view pem_chain) {
  CAIRN_ASSIGN_OR_RETURN(std::vector<X509Ptr> certs,
                         ReadCertificates(pem_chain, "the certificate chain"));
  std::vector<std::string> out;
  out.reserve(certs.size());
  for (const X509Ptr& cert : certs) {
    CAIRN_ASSIGN_OR_RETURN(std::string pem, internal::CertificateToPem(cert.get()));
    out.push_back(std::move(pem));
  }
  return out;
}

Result<std::string> CertificateSha256Hex(std::string_view cert_pem) {
  CAIRN_ASSIGN_OR_RETURN(X509Ptr cert, internal::ReadFirstCertificate(cert_pem, "the certificate"));
  return internal::CertificateSha256(cert.get());
}

Status VerifyCertificateAgainstCa(std::string_view leaf_pem, std::string_view ca_pem) {
  CAIRN_ASSIGN_OR_RETURN(X509Ptr leaf, internal::ReadFirstCertificate(leaf_pem, "the certificate"));
  CAIRN_ASSIGN_OR_RETURN(std::vector<X509Ptr> anchors,
                         ReadCertificates(ca_pem, "the CA certificate"));
  internal::X509StorePtr store(X509_STORE_new());
  if (!store) return internal::OpenSslError("new X509_STORE");
  for (const X509Ptr& anchor : anchors) {
    // add_cert takes its own reference.
    if (X509_STORE_add_cert(store.get(), anchor.get()) != 1) {
      return internal::OpenSslError("add CA certificate to store");
    }
  }
  internal::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx) return internal::OpenSslError("new X509_STORE_CTX");
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr) != 1) {
    return internal::OpenSslError("init X509_STORE_CTX");
  }
  int verified = X509_verify_cert(ctx.get());
  if (verified == 1) return Status::Ok();
  int err = X509_STORE_CTX_get_error(ctx.get());
  if (verified < 0 || err == X509_V_OK) {
    return internal::OpenSslError("verify certificate");
  }
  ERR_clear_error();  // the verify reason below says it all
  return Status::PermissionDenied(
      std::string("the certificate does not chain to the CA: ") +
      X509_verify_cert_error_string(err) + " (at depth " +
      std::to_string(X509_STORE_CTX_get_error_depth(ctx.get())) +
      "); it must be issued by this appliance's CA and be within its validity period");
}

}  // namespace cairn::pki
