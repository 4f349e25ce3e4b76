// Test PKI for the server tests, built with OpenSSL's EVP/X509 APIs directly
// (appliance/pki is deliberately not used: the server must not depend on it).
// Header-only because the test program globs only *_test.cc.
//
// TestCa makes a self-signed CA (P-256) and issues leaf certificates: server
// ones carry SAN IP:127.0.0.1 and serverAuth, client ones clientAuth. Every
// failure is a REQUIRE. Not thread-safe; build them on the test thread.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

#include "core/base/c_deleter.h"

namespace cairn::test {

using EvpPkey = CHandle<EVP_PKEY, EVP_PKEY_free>;
using X509Ptr = CHandle<X509, X509_free>;
using BioPtr = CHandle<BIO, BIO_free>;

inline EvpPkey NewTestKey() {
  EvpPkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  REQUIRE(key != nullptr);
  return key;
}

inline std::string BioText(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  REQUIRE(len >= 0);
  return std::string(data, static_cast<std::size_t>(len));
}

inline std::string CertPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  REQUIRE(PEM_write_bio_X509(bio.get(), cert) == 1);
  return BioText(bio.get());
}

inline std::string KeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  REQUIRE(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  return BioText(bio.get());
}

// SHA-256 of the DER encoding, computed here independently of the server's
// X509_digest so the test can catch a wrong fingerprint.
inline std::string DerSha256Hex(X509* cert) {
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  REQUIRE(len > 0);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  int ok = EVP_Digest(der, static_cast<std::size_t>(len), md, &md_len, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  REQUIRE(ok == 1);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < md_len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xf]);
  }
  return out;
}

inline void AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  CHandle<X509_EXTENSION, X509_EXTENSION_free> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  REQUIRE(ext != nullptr);
  REQUIRE(X509_add_ext(cert, ext.get(), -1) == 1);
}

enum class CertKind { kCa, kServer, kClient };

struct TestCert {
  std::string cert_pem;
  std::string key_pem;
  std::string sha256_hex;  // of the DER
  X509Ptr cert;
  EvpPkey key;
};

inline TestCert MakeCert(CertKind kind, const std::string& common_name,
                         const std::string& organization, std::uint64_t serial, X509* issuer_cert,
                         EVP_PKEY* issuer_key) {
  TestCert out;
  out.key = NewTestKey();
  out.cert.reset(X509_new());
  X509* cert = out.cert.get();
  REQUIRE(cert != nullptr);
  REQUIRE(X509_set_version(cert, X509_VERSION_3) == 1);
  REQUIRE(ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert), serial) == 1);
  REQUIRE(X509_gmtime_adj(X509_getm_notBefore(cert), -3600) != nullptr);
  REQUIRE(X509_gmtime_adj(X509_getm_notAfter(cert), 86400) != nullptr);
  X509_NAME* name = X509_get_subject_name(cert);
  const auto* cn = reinterpret_cast<const unsigned char*>(common_name.c_str());
  REQUIRE(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, cn, -1, -1, 0) == 1);
  if (!organization.empty()) {
    const auto* o = reinterpret_cast<const unsigned char*>(organization.c_str());
    REQUIRE(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, o, -1, -1, 0) == 1);
  }
  X509* issuer = kind == CertKind::kCa ? cert : issuer_cert;
  EVP_PKEY* signer = kind == CertKind::kCa ? out.key.get() : issuer_key;
  REQUIRE(X509_set_issuer_name(cert, X509_get_subject_name(issuer)) == 1);
  REQUIRE(X509_set_pubkey(cert, out.key.get()) == 1);
  switch (kind) {
    case CertKind::kCa:
      AddExtension(cert, issuer, NID_basic_constraints, "critical,CA:TRUE");
      AddExtension(cert, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
      break;
    case CertKind::kServer:
      AddExtension(cert, issuer, NID_basic_constraints, "critical,CA:FALSE");
      AddExtension(cert, issuer, NID_ext_key_usage, "serverAuth");
      AddExtension(cert, issuer, NID_subject_alt_name, "IP:127.0.0.1");
      break;
    case CertKind::kClient:
      AddExtension(cert, issuer, NID_basic_constraints, "critical,CA:FALSE");
      AddExtension(cert, issuer, NID_ext_key_usage, "clientAuth");
      break;
  }
  REQUIRE(X509_sign(cert, signer, EVP_sha256()) > 0);
  out.cert_pem = CertPem(cert);
  out.key_pem = KeyPem(out.key.get());
  out.sha256_hex = DerSha256Hex(cert);
  return out;
}

class TestCa {
 public:
  explicit TestCa(const std::string& name)
      : ca_(MakeCert(CertKind::kCa, name, "Cairn Test", 1, nullptr, nullptr)) {}
  const std::string& cert_pem() const { return ca_.cert_pem; }
  TestCert Issue(CertKind kind, const std::string& common_name, const std::string& organization,
                 std::uint64_t serial) const {
    return MakeCert(kind, common_name, organization, serial, ca_.cert.get(), ca_.key.get());
  }

 private:
  TestCert ca_;
};

// The usual cast: one CA with a server and a client certificate, and a second
// CA (unknown to the server) with a client certificate of its own.
struct TestPki {
  TestCa ca{"Cairn Test CA"};
  TestCa other_ca{"Some Other CA"};
  TestCert server = ca.Issue(CertKind::kServer, "127.0.0.1", "Cairn", 2);
  // The serial's top byte is 0x0a: the server must print "a5...", no padding.
  TestCert client = ca.Issue(CertKind::kClient, "agent-7f3a", "cluster-east", 0x0a51c0ffee42ULL);
  TestCert stranger = other_ca.Issue(CertKind::kClient, "agent-7f3a", "cluster-east", 0x99);
};

}  // namespace cairn::test
