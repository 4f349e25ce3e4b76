#include "core/pki/certificate_authority.h"

#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "core/pki/certificate_info.h"
#include "core/pki/csr.h"
#include "tests/core/pki/pki_test_support.h"

namespace cairn::pki {
namespace {

using namespace cairn::pki::testing;  // NOLINT: test helpers

std::string GroupName(EVP_PKEY* key) {
  char group[64];
  std::size_t len = 0;
  REQUIRE(EVP_PKEY_get_group_name(key, group, sizeof group, &len) == 1);
  return std::string(group, len);
}

bool ExtensionIsCritical(X509* cert, int nid) {
  int index = X509_get_ext_by_NID(cert, nid, -1);
  REQUIRE(index >= 0);
  return X509_EXTENSION_get_critical(X509_get_ext(cert, index)) == 1;
}

TEST_CASE("CertificateAuthority: a created CA loads back with the same certificate and pin",
          "[unit][pki]") {
  auto material = CreateCertificateAuthority("Cairn Test CA", 30 * kOneDay);
  REQUIRE(material.ok());
  CHECK(material->cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
  CHECK(material->key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));

  auto ca = CertificateAuthority::Load(material->cert_pem, material->key_pem);
  REQUIRE(ca.ok());
  CHECK(ca->cert_pem() == material->cert_pem);
  auto pin = CertificateSha256Hex(material->cert_pem);
  REQUIRE(pin.ok());
  CHECK(ca->sha256_hex() == *pin);
  CHECK(ca->sha256_hex().size() == 64);

  // Loading again gives the same pin; another CA gets a different one.
  auto again = CertificateAuthority::Load(material->cert_pem, material->key_pem);
  REQUIRE(again.ok());
  CHECK(again->sha256_hex() == ca->sha256_hex());
  CHECK(MakeCa().sha256_hex() != ca->sha256_hex());
}

TEST_CASE("CertificateAuthority: a new CA is a self-signed P-256 authority that signs only leaves",
          "[unit][pki]") {
  std::int64_t before = NowUnix();
  CaMaterial material = MakeCaMaterial("Cairn Root");
  X509Ptr cert = ReadCert(material.cert_pem);
  EvpPkeyPtr key = ReadKey(material.key_pem);

  CHECK(EVP_PKEY_is_a(key.get(), "EC"));
  CHECK(GroupName(key.get()) == "prime256v1");
  CHECK(X509_check_private_key(cert.get(), key.get()) == 1);
  CHECK(X509_verify(cert.get(), X509_get0_pubkey(cert.get())) == 1);  // self-signed
  CHECK(X509_get_version(cert.get()) == X509_VERSION_3);

  CHECK(X509_check_ca(cert.get()) == 1);
  CHECK(X509_get_pathlen(cert.get()) == 0);
  CHECK(ExtensionIsCritical(cert.get(), NID_basic_constraints));
  CHECK(X509_get_key_usage(cert.get()) == (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  CHECK(ExtensionIsCritical(cert.get(), NID_key_usage));
  CHECK(X509_get0_subject_key_id(cert.get()) != nullptr);

  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert.get());
  internal::BignumPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
  REQUIRE(bn);
  CHECK_FALSE(BN_is_negative(bn.get()));
  CHECK_FALSE(BN_is_zero(bn.get()));
  CHECK(BN_num_bits(bn.get()) <= 128);
  CHECK(BN_num_bits(bn.get()) > 64);  // fails with probability 2^-64

  auto info = ParseCertificatePem(material.cert_pem);
  REQUIRE(info.ok());
  CHECK(info->common_name == "Cairn Root");
  CHECK(info->issuer_common_name == "Cairn Root");
  CHECK(info->is_ca);
  CHECK(info->not_before_unix >= before - 300 - 2);
  CHECK(info->not_before_unix <= NowUnix() - 300);
  CHECK(info->not_after_unix >= before + 30 * 86400);
  CHECK(info->not_after_unix <= NowUnix() + 30 * 86400);
  CHECK(VerifyCertificateAgainstCa(material.cert_pem, material.cert_pem).ok());
}

TEST_CASE("CertificateAuthority: a key that does not belong to the certificate is refused",
          "[unit][pki]") {
  CaMaterial a = MakeCaMaterial("CA A");
  CaMaterial b = MakeCaMaterial("CA B");
  auto ca = CertificateAuthority::Load(a.cert_pem, b.key_pem);
  REQUIRE_FALSE(ca.ok());
  CHECK(ca.error().IsInvalidArgument());
  CHECK(Contains(ca.error().message(), "does not belong to the CA certificate"));
}

TEST_CASE("CertificateAuthority: a server certificate is refused where the CA certificate belongs",
          "[unit][pki]") {
  IssuedCertificate server = IssueServer(MakeCa());
  auto ca = CertificateAuthority::Load(server.cert_pem, server.key_pem);
  REQUIRE_FALSE(ca.ok());
  CHECK(ca.error().IsInvalidArgument());
  CHECK(Contains(ca.error().message(), "not a certificate authority"));
}

TEST_CASE("CertificateAuthority: unreadable or encrypted PEM is refused with a message",
          "[unit][pki]") {
  CaMaterial material = MakeCaMaterial();

  auto bad_cert = CertificateAuthority::Load("not a certificate", material.key_pem);
  REQUIRE_FALSE(bad_cert.ok());
  CHECK(bad_cert.error().IsInvalidArgument());
  CHECK(Contains(bad_cert.error().message(), "the CA certificate is not a PEM certificate"));

  auto bad_key = CertificateAuthority::Load(material.cert_pem, "not a key");
  REQUIRE_FALSE(bad_key.ok());
  CHECK(bad_key.error().IsInvalidArgument());
  CHECK(Contains(bad_key.error().message(), "the CA key is not an unencrypted PEM private key"));

  // An encrypted key is refused, never prompted for.
  EvpPkeyPtr key = ReadKey(material.key_pem);
  BioPtr bio(BIO_new(BIO_s_mem()));
  REQUIRE(bio);
  unsigned char pass[] = "secret";
  REQUIRE(PEM_write_bio_PrivateKey(bio.get(), key.get(), EVP_aes_256_cbc(), pass, 6, nullptr,
                                   nullptr) == 1);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  std::string encrypted(data, static_cast<std::size_t>(size));
  REQUIRE(Contains(encrypted, "ENCRYPTED"));
  auto locked = CertificateAuthority::Load(material.cert_pem, encrypted);
  REQUIRE_FALSE(locked.ok());
  CHECK(locked.error().IsInvalidArgument());

  auto huge = CertificateAuthority::Load(std::string(64 * 1024 + 1, 'A'), material.key_pem);
  REQUIRE_FALSE(huge.ok());
  CHECK(Contains(huge.error().message(), "the limit is 65536 bytes"));
}

TEST_CASE("CertificateAuthority: a server certificate chains to its CA and names the hosts",
          "[unit][pki]") {
  CertificateAuthority ca = MakeCa("Cairn Test CA");
  std::int64_t before = NowUnix();
  auto issued =
      ca.IssueServerCertificate("appliance.example", {"appliance.example", "*.cairn.example"},
                                {"192.0.2.10", "::1"}, 7 * kOneDay);
  REQUIRE(issued.ok());
  CHECK(VerifyCertificateAgainstCa(issued->cert_pem, ca.cert_pem()).ok());

  X509Ptr cert = ReadCert(issued->cert_pem);
  EvpPkeyPtr key = ReadKey(issued->key_pem);
  CHECK(X509_check_private_key(cert.get(), key.get()) == 1);
  CHECK(GroupName(key.get()) == "prime256v1");

  // The SANs, read back entry by entry.
  internal::GeneralNamesPtr sans(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)));
  REQUIRE(sans);
  std::vector<std::string> dns;
  std::vector<std::string> ips;
  for (int i = 0; i < sk_GENERAL_NAME_num(sans.get()); ++i) {
    int type = 0;
    auto* value = static_cast<ASN1_STRING*>(
        GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(sans.get(), i), &type));
    std::string bytes(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                      static_cast<std::size_t>(ASN1_STRING_length(value)));
    (type == GEN_DNS ? dns : ips).push_back(bytes);
  }
  CHECK(dns == std::vector<std::string>{"appliance.example", "*.cairn.example"});
  REQUIRE(ips.size() == 2);
  CHECK(ips[0] == std::string("\xc0\x00\x02\x0a", 4));
  CHECK(ips[1] == std::string(15, '\0') + "\x01");
  CHECK(X509_check_host(cert.get(), "appliance.example", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(cert.get(), "node1.cairn.example", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(cert.get(), "other.example", 0, 0, nullptr) != 1);
  CHECK(X509_check_ip_asc(cert.get(), "192.0.2.10", 0) == 1);

  CHECK(X509_get_extended_key_usage(cert.get()) == XKU_SSL_SERVER);
  CHECK(X509_get_key_usage(cert.get()) == KU_DIGITAL_SIGNATURE);
  CHECK(X509_check_ca(cert.get()) == 0);
  CHECK(ExtensionIsCritical(cert.get(), NID_basic_constraints));
  X509Ptr ca_cert = ReadCert(ca.cert_pem());
  const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(cert.get());
  REQUIRE(aki != nullptr);
  CHECK(ASN1_OCTET_STRING_cmp(aki, X509_get0_subject_key_id(ca_cert.get())) == 0);
  CHECK(X509_get0_subject_key_id(cert.get()) != nullptr);

  auto info = ParseCertificatePem(issued->cert_pem);
  REQUIRE(info.ok());
  CHECK(info->common_name == "appliance.example");
  CHECK(info->issuer_common_name == "Cairn Test CA");
  CHECK_FALSE(info->is_ca);
  CHECK(info->serial_hex == issued->serial_hex);
  CHECK(info->sha256_hex == issued->sha256_hex);
  CHECK(info->not_after_unix == issued->not_after_unix);
  CHECK(issued->not_after_unix >= before + 7 * 86400);
  CHECK(issued->not_after_unix <= NowUnix() + 7 * 86400);
}

TEST_CASE("CertificateAuthority: a server certificate does not verify against a different CA",
          "[unit][pki]") {
  CertificateAuthority ours = MakeCa("Ours");
  CertificateAuthority theirs = MakeCa("Ours");  // same name, different key: not our issuer
  IssuedCertificate server = IssueServer(ours);
  REQUIRE(VerifyCertificateAgainstCa(server.cert_pem, ours.cert_pem()).ok());

  Status s = VerifyCertificateAgainstCa(server.cert_pem, theirs.cert_pem());
  CHECK(s.IsPermissionDenied());
  CHECK(Contains(s.message(), "does not chain to the CA"));
  INFO(s.message());
  CHECK(Contains(s.message(), "unable to get local issuer certificate"));
}

TEST_CASE("CertificateAuthority: every issued certificate gets its own serial number",
          "[unit][pki]") {
  CertificateAuthority ca = MakeCa();
  auto key_and_csr = GenerateKeyAndCsr("agent");
  REQUIRE(key_and_csr.ok());
  std::set<std::string> serials;
  for (int i = 0; i < 3; ++i) {
    IssuedCertificate server = IssueServer(ca);
    auto client = ca.SignClientCsr(key_and_csr->csr_pem, "agent", "org", kOneDay);
    REQUIRE(client.ok());
    for (const IssuedCertificate* issued : {&server, &*client}) {
      const std::string& serial = issued->serial_hex;
      CHECK(serial.find_first_not_of("0123456789abcdef") == std::string::npos);
      CHECK(serial.size() <= 32);
      CHECK(serial.front() != '0');
      serials.insert(serial);
    }
  }
  CHECK(serials.size() == 6);
}

TEST_CASE("CertificateAuthority: invalid server names, addresses and validities are refused",
          "[unit][pki]") {
  CertificateAuthority ca = MakeCa();
  auto refused = [&](std::string_view cn, std::vector<std::string> dns,
                     std::vector<std::string> ips, std::chrono::seconds validity) {
    auto r = ca.IssueServerCertificate(cn, dns, ips, validity);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().IsInvalidArgument());
    return r.error().message();
  };
  // A comma would add a second SAN if names went through OpenSSL's config syntax.
  CHECK(Contains(refused("a", {"a.example,DNS:evil.example"}, {}, kOneDay),
                 "is not a valid DNS name"));
  CHECK(Contains(refused("a", {"has space.example"}, {}, kOneDay), "is not a valid DNS name"));
  CHECK(Contains(refused("a", {"-lead.example"}, {}, kOneDay), "is not a valid DNS name"));
  CHECK(Contains(refused("a", {}, {"300.1.1.1"}, kOneDay), "is not an IP address"));
  CHECK(Contains(refused("a", {}, {"localhost"}, kOneDay), "is not an IP address"));
  CHECK(Contains(refused("a", {}, {}, kOneDay), "at least one DNS name or IP address"));
  CHECK(Contains(refused("a", {"a.example"}, {}, std::chrono::seconds(0)), "out of range"));
  CHECK(Contains(refused("a", {"a.example"}, {}, std::chrono::seconds(-5)), "out of range"));
  CHECK(Contains(refused("", {"a.example"}, {}, kOneDay), "common name is empty"));
  CHECK(Contains(refused(std::string(65, 'x'), {"a.example"}, {}, kOneDay), "the limit is 64"));
  CHECK(Contains(refused("a\nb", {"a.example"}, {}, kOneDay), "control character"));
  // The same CA still issues once the input is right.
  CHECK(ca.IssueServerCertificate(std::string(64, 'x'), {"a.example"}, {}, kOneDay).ok());
}

TEST_CASE("CertificateAuthority: an expired certificate fails verification", "[unit][pki][slow]") {
  CertificateAuthority ca = MakeCa();
  auto issued = ca.IssueServerCertificate("short", {"short.example"}, {}, std::chrono::seconds(1));
  REQUIRE(issued.ok());
  // notAfter has one-second resolution; wait until it is clearly past.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  Status s = VerifyCertificateAgainstCa(issued->cert_pem, ca.cert_pem());
  CHECK(s.IsPermissionDenied());
  CHECK(Contains(s.message(), "expired"));
}

}  // namespace
}  // namespace cairn::pki
