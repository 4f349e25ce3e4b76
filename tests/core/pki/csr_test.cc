#include "core/pki/csr.h"

#include <catch2/catch.hpp>

#include "core/pki/certificate_authority.h"
#include "core/pki/certificate_info.h"
#include "tests/core/pki/pki_test_support.h"

namespace cairn::pki {
namespace {

using namespace cairn::pki::testing;  // NOLINT: test helpers

std::string Refusal(const CertificateAuthority& ca, std::string_view csr_pem) {
  auto r = ca.SignClientCsr(csr_pem, "agent-1", "org", kOneDay);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().IsInvalidArgument());
  return r.error().message();
}

TEST_CASE("GenerateKeyAndCsr: a P-256 key and a CSR it signed, naming the given CN",
          "[unit][pki]") {
  auto made = GenerateKeyAndCsr("backup-host-7");
  REQUIRE(made.ok());
  EvpPkeyPtr key = ReadKey(made->key_pem);
  X509ReqPtr req = ReadCsr(made->csr_pem);

  char group[64];
  std::size_t len = 0;
  REQUIRE(EVP_PKEY_get_group_name(key.get(), group, sizeof group, &len) == 1);
  CHECK(std::string(group, len) == "prime256v1");
  CHECK(X509_REQ_verify(req.get(), key.get()) == 1);
  CHECK(EVP_PKEY_eq(X509_REQ_get0_pubkey(req.get()), key.get()) == 1);
  X509_NAME* subject = X509_REQ_get_subject_name(req.get());
  char cn[128];
  REQUIRE(X509_NAME_get_text_by_NID(subject, NID_commonName, cn, sizeof cn) > 0);
  CHECK(std::string(cn) == "backup-host-7");

  // Two calls never share a key.
  auto other = GenerateKeyAndCsr("backup-host-7");
  REQUIRE(other.ok());
  CHECK(other->key_pem != made->key_pem);

  auto empty = GenerateKeyAndCsr("");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().IsInvalidArgument());
}

TEST_CASE("CertificateAuthority: a signed agent CSR chains to the CA with the names given",
          "[unit][pki]") {
  CertificateAuthority ca = MakeCa("Cairn Test CA");
  auto made = GenerateKeyAndCsr("name-the-agent-chose");
  REQUIRE(made.ok());
  auto issued = ca.SignClientCsr(made->csr_pem, "agent-42", "tenant-7", 90 * kOneDay);
  REQUIRE(issued.ok());
  CHECK(issued->key_pem.empty());
  CHECK(VerifyCertificateAgainstCa(issued->cert_pem, ca.cert_pem()).ok());

  auto info = ParseCertificatePem(issued->cert_pem);
  REQUIRE(info.ok());
  CHECK(info->common_name == "agent-42");
  CHECK(info->organization == "tenant-7");
  CHECK(info->issuer_common_name == "Cairn Test CA");
  CHECK_FALSE(info->is_ca);
  CHECK(info->serial_hex == issued->serial_hex);
  CHECK(info->sha256_hex == issued->sha256_hex);

  X509Ptr cert = ReadCert(issued->cert_pem);
  EvpPkeyPtr agent_key = ReadKey(made->key_pem);
  CHECK(X509_check_private_key(cert.get(), agent_key.get()) == 1);
  CHECK(X509_get_extended_key_usage(cert.get()) == XKU_SSL_CLIENT);
  CHECK(X509_get_key_usage(cert.get()) == KU_DIGITAL_SIGNATURE);
  CHECK(X509_check_ca(cert.get()) == 0);
  CHECK(X509_get0_authority_key_id(cert.get()) != nullptr);
  CHECK(X509_get0_subject_key_id(cert.get()) != nullptr);

  // Against another CA it is refused.
  Status other = VerifyCertificateAgainstCa(issued->cert_pem, MakeCa("Other").cert_pem());
  CHECK(other.IsPermissionDenied());
}

TEST_CASE("CertificateAuthority: a CSR's own subject and requested extensions are ignored",
          "[unit][pki]") {
  CertificateAuthority ca = MakeCa();
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  REQUIRE(key);
  std::string csr = MakeCsr(key.get(), "admin", "Evil Corp", /*request_ca=*/true);

  auto issued = ca.SignClientCsr(csr, "agent-9", "tenant-1", kOneDay);
  REQUIRE(issued.ok());
  X509Ptr cert = ReadCert(issued->cert_pem);
  CHECK(X509_NAME_entry_count(X509_get_subject_name(cert.get())) == 2);
  auto info = ParseCertificatePem(issued->cert_pem);
  REQUIRE(info.ok());
  CHECK(info->common_name == "agent-9");
  CHECK(info->organization == "tenant-1");
  CHECK_FALSE(info->is_ca);
  CHECK(X509_check_ca(cert.get()) == 0);
  CHECK(X509_get_ext_by_NID(cert.get(), NID_subject_alt_name, -1) < 0);
  CHECK(X509_check_host(cert.get(), "evil.example", 0, 0, nullptr) != 1);

  // An empty organization leaves O out rather than inventing one.
  auto no_org = ca.SignClientCsr(csr, "agent-9", "", kOneDay);
  REQUIRE(no_org.ok());
  CHECK(X509_NAME_entry_count(X509_get_subject_name(ReadCert(no_org->cert_pem).get())) == 1);
}

TEST_CASE("CertificateAuthority: a CSR with a broken self-signature is refused", "[unit][pki]") {
  CertificateAuthority ca = MakeCa();
  auto made = GenerateKeyAndCsr("agent");
  REQUIRE(made.ok());
  REQUIRE(ca.SignClientCsr(made->csr_pem, "agent", "org", kOneDay).ok());

  // The DER ends with the signature's last byte: flip it and wrap it again.
  X509ReqPtr req = ReadCsr(made->csr_pem);
  unsigned char* der = nullptr;
  int der_len = i2d_X509_REQ(req.get(), &der);
  REQUIRE(der_len > 0);
  std::string bytes(reinterpret_cast<char*>(der), static_cast<std::size_t>(der_len));
  OPENSSL_free(der);
  bytes.back() = static_cast<char>(bytes.back() ^ 0x01);
  BioPtr bio(BIO_new(BIO_s_mem()));
  REQUIRE(bio);
  REQUIRE(PEM_write_bio(bio.get(), "CERTIFICATE REQUEST", "",
                        reinterpret_cast<const unsigned char*>(bytes.data()),
                        static_cast<long>(bytes.size())) > 0);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  std::string tampered(data, static_cast<std::size_t>(size));
  REQUIRE(tampered != made->csr_pem);

  std::string message = Refusal(ca, tampered);
  CHECK(Contains(message, "self-signature does not verify"));
  CHECK(Contains(message, "generate a fresh CSR"));
}

TEST_CASE("CertificateAuthority: garbage and oversized CSRs are refused with a message",
          "[unit][pki]") {
  CertificateAuthority ca = MakeCa();
  CHECK(Contains(Refusal(ca, ""), "not a PEM certificate request"));
  CHECK(Contains(Refusal(ca, "hello, please sign me"), "not a PEM certificate request"));
  // A certificate is not a certificate request.
  CHECK(Contains(Refusal(ca, ca.cert_pem()), "not a PEM certificate request"));

  // Trailing text after the PEM block is tolerated up to the limit exactly.
  auto made = GenerateKeyAndCsr("agent");
  REQUIRE(made.ok());
  std::string at_limit = made->csr_pem + std::string(16 * 1024 - made->csr_pem.size(), '\n');
  REQUIRE(at_limit.size() == 16 * 1024);
  CHECK(ca.SignClientCsr(at_limit, "agent", "org", kOneDay).ok());
  std::string message = Refusal(ca, at_limit + "\n");
  CHECK(Contains(message, "16385 bytes"));
  CHECK(Contains(message, "16 KiB"));
}

TEST_CASE("CertificateAuthority: a CSR for an RSA key is refused", "[unit][pki]") {
  CertificateAuthority ca = MakeCa();
  EvpPkeyPtr rsa(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048)));
  REQUIRE(rsa);
  std::string csr = MakeCsr(rsa.get(), "agent");
  REQUIRE(X509_REQ_verify(ReadCsr(csr).get(), rsa.get()) == 1);  // a sound CSR otherwise

  std::string message = Refusal(ca, csr);
  CHECK(Contains(message, "RSA (2048 bits)"));
  CHECK(Contains(message, "EC P-256 or Ed25519"));
}

TEST_CASE("CertificateAuthority: a CSR for an EC key on another curve is refused", "[unit][pki]") {
  CertificateAuthority ca = MakeCa();
  EvpPkeyPtr p384(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  REQUIRE(p384);
  std::string message = Refusal(ca, MakeCsr(p384.get(), "agent"));
  CHECK(Contains(message, "EC secp384r1"));
}

TEST_CASE("CertificateAuthority: a CSR for an Ed25519 key is signed", "[unit][pki]") {
  CertificateAuthority ca = MakeCa();
  EvpPkeyPtr ed(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  REQUIRE(ed);
  auto issued = ca.SignClientCsr(MakeCsr(ed.get(), "agent"), "agent-ed", "org", kOneDay);
  REQUIRE(issued.ok());
  CHECK(VerifyCertificateAgainstCa(issued->cert_pem, ca.cert_pem()).ok());
  X509Ptr cert = ReadCert(issued->cert_pem);
  CHECK(EVP_PKEY_eq(X509_get0_pubkey(cert.get()), ed.get()) == 1);
}

}  // namespace
}  // namespace cairn::pki
