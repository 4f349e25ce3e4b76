// Helpers for appliance/pki's tests: read PEM back with OpenSSL directly
// (not through the code under test), make CAs, and build CSRs the library
// itself would never produce (other key types, hostile subjects).
// Thread-safety: test-only free functions.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <string>
#include <string_view>

#include "core/pki/certificate_authority.h"
#include "core/pki/x509_util.h"

namespace cairn::pki::testing {

using internal::BioPtr;
using internal::EvpPkeyPtr;
using internal::X509Ptr;
using internal::X509ReqPtr;

inline constexpr std::chrono::seconds kOneDay = std::chrono::hours(24);

inline std::int64_t NowUnix() { return static_cast<std::int64_t>(std::time(nullptr)); }

inline bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

inline X509Ptr ReadCert(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  REQUIRE(bio);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  REQUIRE(cert);
  return cert;
}

inline EvpPkeyPtr ReadKey(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  REQUIRE(bio);
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  REQUIRE(key);
  return key;
}

inline X509ReqPtr ReadCsr(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  REQUIRE(bio);
  X509ReqPtr req(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr));
  REQUIRE(req);
  return req;
}

inline std::string CsrPem(X509_REQ* req) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  REQUIRE(bio);
  REQUIRE(PEM_write_bio_X509_REQ(bio.get(), req) == 1);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

inline CaMaterial MakeCaMaterial(std::string_view name = "Cairn Test CA") {
  auto material = CreateCertificateAuthority(name, 30 * kOneDay);
  REQUIRE(material.ok());
  return *material;
}

inline CertificateAuthority MakeCa(std::string_view name = "Cairn Test CA") {
  CaMaterial material = MakeCaMaterial(name);
  auto ca = CertificateAuthority::Load(material.cert_pem, material.key_pem);
  REQUIRE(ca.ok());
  return std::move(ca).value();
}

inline IssuedCertificate IssueServer(const CertificateAuthority& ca) {
  auto issued =
      ca.IssueServerCertificate("appliance.test", {"appliance.test"}, {"127.0.0.1"}, kOneDay);
  REQUIRE(issued.ok());
  return *issued;
}

// A CSR over `key` with subject O=organization, CN=common_name, signed with
// SHA-256 (or no digest for EdDSA). With `request_ca` it also asks for
// basicConstraints CA:TRUE and a subjectAltName, which the CA must ignore.
inline std::string MakeCsr(EVP_PKEY* key, std::string_view common_name,
                           std::string_view organization = "", bool request_ca = false) {
  X509ReqPtr req(X509_REQ_new());
  REQUIRE(req);
  X509_NAME* name = X509_REQ_get_subject_name(req.get());
  if (!organization.empty()) {
    REQUIRE(X509_NAME_add_entry_by_NID(name, NID_organizationName, MBSTRING_UTF8,
                                       reinterpret_cast<const unsigned char*>(organization.data()),
                                       static_cast<int>(organization.size()), -1, 0) == 1);
  }
  REQUIRE(X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(common_name.data()),
                                     static_cast<int>(common_name.size()), -1, 0) == 1);
  REQUIRE(X509_REQ_set_pubkey(req.get(), key) == 1);
  if (request_ca) {
    STACK_OF(X509_EXTENSION)* exts = sk_X509_EXTENSION_new_null();
    REQUIRE(exts != nullptr);
    X509_EXTENSION* bc =
        X509V3_EXT_nconf_nid(nullptr, nullptr, NID_basic_constraints, "critical,CA:TRUE");
    X509_EXTENSION* san =
        X509V3_EXT_nconf_nid(nullptr, nullptr, NID_subject_alt_name, "DNS:evil.example");
    REQUIRE(bc != nullptr);
    REQUIRE(san != nullptr);
    sk_X509_EXTENSION_push(exts, bc);
    sk_X509_EXTENSION_push(exts, san);
    int added = X509_REQ_add_extensions(req.get(), exts);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    REQUIRE(added == 1);
  }
  bool eddsa = EVP_PKEY_is_a(key, "ED25519");
  REQUIRE(X509_REQ_sign(req.get(), key, eddsa ? nullptr : EVP_sha256()) > 0);
  return CsrPem(req.get());
}

}  // namespace cairn::pki::testing
