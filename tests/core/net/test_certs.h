// Test-only certificates made on the fly with OpenSSL's EVP/X509 APIs: a
// small CA, and server/client certificates it issues (with DNS and IP SANs).
// Deliberately independent of appliance/pki, so core/net's tests do not
// depend on the code that will use them. P-256 keys: fast to generate.
//
// Header-only because tests/CMakeLists.txt builds each test program from its
// *_test.cc files only. Thread-safety: free functions, no shared state.
#pragma once

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/c_deleter.h"
#include "core/base/status.h"

namespace cairn::test {

struct TestCa {
  std::string cert_pem;
  std::string key_pem;
};

struct TestCert {
  std::string cert_pem;
  std::string key_pem;
};

struct TestCertSpec {
  std::string common_name;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  bool client = false;  // extendedKeyUsage clientAuth instead of serverAuth
};

namespace certs_internal {

using Bio = CHandle<BIO, BIO_free>;
using Key = CHandle<EVP_PKEY, EVP_PKEY_free>;
using Cert = CHandle<X509, X509_free>;
using Ext = CHandle<X509_EXTENSION, X509_EXTENSION_free>;

inline Status Fail(std::string_view what) {
  std::string msg(what);
  char buf[256];
  while (unsigned long e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof buf);
    msg += ": ";
    msg += buf;
  }
  return Status::IoError(std::move(msg));
}

inline Result<std::string> BioText(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  if (len <= 0 || data == nullptr) return Fail("PEM output empty");
  return std::string(data, static_cast<std::size_t>(len));
}

inline Result<std::string> CertPem(X509* cert) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return Fail("PEM_write_bio_X509");
  return BioText(bio.get());
}

inline Result<std::string> KeyPem(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Fail("PEM_write_bio_PrivateKey");
  }
  return BioText(bio.get());
}

inline Status AddExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Ext ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) return Fail("add extension " + value);
  return Status::Ok();
}

// A fresh certificate for `key` named `cn`, valid from an hour ago for a day.
inline Result<Cert> NewCert(EVP_PKEY* key, std::string_view cn) {
  static std::atomic<long> serial{1000};
  Cert cert(X509_new());
  if (!cert) return Fail("X509_new");
  X509_NAME* name = X509_get_subject_name(cert.get());
  std::string cn_text(cn);
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial.fetch_add(1)) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600) == nullptr ||
      X509_set_pubkey(cert.get(), key) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn_text.c_str()), -1, -1,
                                 0) != 1) {
    return Fail("fill certificate");
  }
  return cert;
}

inline Result<Key> NewKey() {
  Key key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return Fail("EVP_PKEY_Q_keygen");
  return key;
}

}  // namespace certs_internal

// A self-signed CA certificate named `common_name`.
inline Result<TestCa> MakeTestCa(std::string_view common_name) {
  using namespace certs_internal;
  CAIRN_ASSIGN_OR_RETURN(Key key, NewKey());
  CAIRN_ASSIGN_OR_RETURN(Cert cert, NewCert(key.get(), common_name));
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) != 1) {
    return Fail("set issuer");
  }
  CAIRN_RETURN_IF_ERROR(AddExt(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE"));
  CAIRN_RETURN_IF_ERROR(
      AddExt(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign"));
  CAIRN_RETURN_IF_ERROR(AddExt(cert.get(), cert.get(), NID_subject_key_identifier, "hash"));
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) return Fail("X509_sign CA");
  TestCa ca;
  CAIRN_ASSIGN_OR_RETURN(ca.cert_pem, CertPem(cert.get()));
  CAIRN_ASSIGN_OR_RETURN(ca.key_pem, KeyPem(key.get()));
  return ca;
}

// A leaf certificate issued by `ca`, for a server (serverAuth) or a client.
inline Result<TestCert> IssueTestCert(const TestCa& ca, const TestCertSpec& spec) {
  using namespace certs_internal;
  Bio ca_cert_bio(BIO_new_mem_buf(ca.cert_pem.data(), static_cast<int>(ca.cert_pem.size())));
  Bio ca_key_bio(BIO_new_mem_buf(ca.key_pem.data(), static_cast<int>(ca.key_pem.size())));
  if (!ca_cert_bio || !ca_key_bio) return Fail("BIO_new_mem_buf");
  Cert ca_cert(PEM_read_bio_X509(ca_cert_bio.get(), nullptr, nullptr, nullptr));
  Key ca_key(PEM_read_bio_PrivateKey(ca_key_bio.get(), nullptr, nullptr, nullptr));
  if (!ca_cert || !ca_key) return Fail("read CA");

  CAIRN_ASSIGN_OR_RETURN(Key key, NewKey());
  CAIRN_ASSIGN_OR_RETURN(Cert cert, NewCert(key.get(), spec.common_name));
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get())) != 1) {
    return Fail("set issuer");
  }
  CAIRN_RETURN_IF_ERROR(
      AddExt(cert.get(), ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE"));
  CAIRN_RETURN_IF_ERROR(AddExt(cert.get(), ca_cert.get(), NID_key_usage,
                               "critical,digitalSignature,keyEncipherment"));
  CAIRN_RETURN_IF_ERROR(AddExt(cert.get(), ca_cert.get(), NID_ext_key_usage,
                               spec.client ? "clientAuth" : "serverAuth"));
  CAIRN_RETURN_IF_ERROR(
      AddExt(cert.get(), ca_cert.get(), NID_authority_key_identifier, "keyid:always"));
  std::string sans;
  for (const auto& dns : spec.dns_names) sans += (sans.empty() ? "DNS:" : ",DNS:") + dns;
  for (const auto& ip : spec.ip_addresses) sans += (sans.empty() ? "IP:" : ",IP:") + ip;
  if (!sans.empty()) {
    CAIRN_RETURN_IF_ERROR(AddExt(cert.get(), ca_cert.get(), NID_subject_alt_name, sans));
  }
  if (X509_sign(cert.get(), ca_key.get(), EVP_sha256()) <= 0) return Fail("X509_sign leaf");
  TestCert out;
  CAIRN_ASSIGN_OR_RETURN(out.cert_pem, CertPem(cert.get()));
  CAIRN_ASSIGN_OR_RETURN(out.key_pem, KeyPem(key.get()));
  return out;
}

}  // namespace cairn::test
