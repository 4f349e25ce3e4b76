#include "core/pki/certificate_info.h"

#include <catch2/catch.hpp>

#include "core/pki/certificate_authority.h"
#include "core/pki/csr.h"
#include "tests/core/pki/pki_test_support.h"

namespace cairn::pki {
namespace {

using namespace cairn::pki::testing;  // NOLINT: test helpers

// SHA-256 of the certificate's DER, computed here without the library.
std::string IndependentSha256Hex(std::string_view pem) {
  X509Ptr cert = ReadCert(pem);
  unsigned char* der = nullptr;
  int len = i2d_X509(cert.get(), &der);
  REQUIRE(len > 0);
  unsigned char md[32];
  unsigned int md_len = 0;
  int ok = EVP_Digest(der, static_cast<std::size_t>(len), md, &md_len, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  REQUIRE(ok == 1);
  REQUIRE(md_len == 32);
  std::string hex;
  char buf[3];
  for (unsigned char b : md) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    hex += buf;
  }
  return hex;
}

TEST_CASE("CertificateSha256Hex: equals SHA-256 of the certificate's DER", "[unit][pki]") {
  CertificateAuthority ca = MakeCa();
  IssuedCertificate server = IssueServer(ca);

  std::string expected_ca = IndependentSha256Hex(ca.cert_pem());
  auto ca_sha = CertificateSha256Hex(ca.cert_pem());
  REQUIRE(ca_sha.ok());
  CHECK(*ca_sha == expected_ca);
  CHECK(ca.sha256_hex() == expected_ca);

  std::string expected_server = IndependentSha256Hex(server.cert_pem);
  CHECK(expected_server != expected_ca);
  auto server_sha = CertificateSha256Hex(server.cert_pem);
  REQUIRE(server_sha.ok());
  CHECK(*server_sha == expected_server);
  CHECK(server.sha256_hex == expected_server);

  auto garbage = CertificateSha256Hex("nothing here");
  REQUIRE_FALSE(garbage.ok());
  CHECK(garbage.error().IsInvalidArgument());
}

TEST_CASE("SplitPemCertificates: a two-certificate chain splits into both, in order",
          "[unit][pki]") {
  CertificateAuthority ca = MakeCa();
  IssuedCertificate server = IssueServer(ca);
  // As `openssl x509 -text` style files have it: commentary between blocks.
  std::string chain =
      "subject=CN = appliance.test\n" + server.cert_pem + "\nissuer\n" + ca.cert_pem();

  auto parts = SplitPemCertificates(chain);
  REQUIRE(parts.ok());
  REQUIRE(parts->size() == 2);
  CHECK((*parts)[0] == server.cert_pem);
  CHECK((*parts)[1] == ca.cert_pem());

  auto single = SplitPemCertificates(ca.cert_pem());
  REQUIRE(single.ok());
  CHECK(single->size() == 1);
}

TEST_CASE("SplitPemCertificates: no certificate, a key block, damage or too many are refused",
          "[unit][pki]") {
  CertificateAuthority ca = MakeCa();
  IssuedCertificate server = IssueServer(ca);

  auto empty = SplitPemCertificates("");
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().IsInvalidArgument());
  CHECK(Contains(empty.error().message(), "no readable PEM certificate"));

  auto with_key = SplitPemCertificates(server.cert_pem + server.key_pem);
  REQUIRE_FALSE(with_key.ok());
  CHECK(Contains(with_key.error().message(), "\"PRIVATE KEY\" block"));

  // A block whose body lost bytes in the middle: the PEM framing is intact,
  // the DER inside is not.
  std::string broken = ca.cert_pem().substr(0, 40) + ca.cert_pem().substr(200);
  auto bad = SplitPemCertificates(broken);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().IsInvalidArgument());

  std::string many;
  for (std::size_t i = 0; i < kMaxChainCertificates + 1; ++i) many += ca.cert_pem();
  auto too_many = SplitPemCertificates(many);
  REQUIRE_FALSE(too_many.ok());
  CHECK(Contains(too_many.error().message(), "more than 16 certificates"));
  many.resize(many.size() - ca.cert_pem().size());
  CHECK(SplitPemCertificates(many).ok());

  auto huge = SplitPemCertificates(std::string(kMaxChainPemBytes + 1, '-'));
  REQUIRE_FALSE(huge.ok());
  CHECK(Contains(huge.error().message(), "the limit is 262144"));
}

TEST_CASE("ParseCertificatePem: reports subject, issuer, serial, fingerprint, validity, CA flag",
          "[unit][pki]") {
  CertificateAuthority ca = MakeCa("Cairn Issuing CA");
  auto made = GenerateKeyAndCsr("ignored");
  REQUIRE(made.ok());
  std::int64_t before = NowUnix();
  auto client = ca.SignClientCsr(made->csr_pem, "agent-42", "Example Org", 10 * kOneDay);
  REQUIRE(client.ok());

  auto info = ParseCertificatePem(client->cert_pem);
  REQUIRE(info.ok());
  CHECK(info->common_name == "agent-42");
  CHECK(info->organization == "Example Org");
  CHECK(info->issuer_common_name == "Cairn Issuing CA");
  CHECK(info->serial_hex == client->serial_hex);
  CHECK(info->sha256_hex == IndependentSha256Hex(client->cert_pem));
  CHECK(info->not_before_unix >= before - 300);
  CHECK(info->not_before_unix <= NowUnix() - 300);
  CHECK(info->not_after_unix == client->not_after_unix);
  CHECK(info->not_after_unix - info->not_before_unix == 10 * 86400 + 300);
  CHECK_FALSE(info->is_ca);

  // The serial as OpenSSL prints it, lowercased, without leading zeros.
  X509Ptr cert = ReadCert(client->cert_pem);
  internal::BignumPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert.get()), nullptr));
  REQUIRE(bn);
  char* printed = BN_bn2hex(bn.get());
  REQUIRE(printed != nullptr);
  std::string expected(printed);
  OPENSSL_free(printed);
  for (char& c : expected) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  expected.erase(0, expected.find_first_not_of('0'));
  CHECK(info->serial_hex == expected);

  auto ca_info = ParseCertificatePem(ca.cert_pem());
  REQUIRE(ca_info.ok());
  CHECK(ca_info->is_ca);
  CHECK(ca_info->common_name == "Cairn Issuing CA");
  CHECK(ca_info->organization.empty());
}

TEST_CASE(
    "ParseCertificatePem: reads the first certificate of a chain and refuses garbage or oversize",
    "[unit][pki]") {
  CertificateAuthority ca = MakeCa("The CA");
  IssuedCertificate server = IssueServer(ca);
  auto first = ParseCertificatePem(server.cert_pem + ca.cert_pem());
  REQUIRE(first.ok());
  CHECK(first->common_name == "appliance.test");

  auto garbage =
      ParseCertificatePem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  REQUIRE_FALSE(garbage.ok());
  CHECK(garbage.error().IsInvalidArgument());
  CHECK(Contains(garbage.error().message(), "is not a PEM certificate"));

  // Oversized input is refused before parsing, even with a valid certificate in front.
  std::string padded = ca.cert_pem() + std::string(64 * 1024, '\n');
  auto oversized = ParseCertificatePem(padded);
  REQUIRE_FALSE(oversized.ok());
  CHECK(oversized.error().IsInvalidArgument());
  CHECK(Contains(oversized.error().message(), "the limit is 65536 bytes"));
}

TEST_CASE("VerifyCertificateAgainstCa: a bundle holding the right CA passes and bad PEM is refused",
          "[unit][pki]") {
  CertificateAuthority ca = MakeCa("Right");
  CertificateAuthority other = MakeCa("Wrong");
  IssuedCertificate server = IssueServer(ca);

  CHECK(VerifyCertificateAgainstCa(server.cert_pem, other.cert_pem() + ca.cert_pem()).ok());
  CHECK(VerifyCertificateAgainstCa(server.cert_pem, other.cert_pem()).IsPermissionDenied());
  // A leaf is not a trust anchor for itself.
  CHECK(VerifyCertificateAgainstCa(server.cert_pem, server.cert_pem).IsPermissionDenied());

  CHECK(VerifyCertificateAgainstCa("junk", ca.cert_pem()).IsInvalidArgument());
  CHECK(VerifyCertificateAgainstCa(server.cert_pem, "junk").IsInvalidArgument());
}

}  // namespace
}  // namespace cairn::pki
