#include "appliance/server/peer_identity.h"

#include <catch2/catch.hpp>

#include "tests/appliance/server/test_certs.h"

namespace cairn {
namespace {

TEST_CASE("PeerIdentity: CN, O, serial (lowercase, no leading zeros) and SHA-256 of the DER",
          "[unit][server]") {
  test::TestCa ca("Unit CA");
  test::TestCert cert = ca.Issue(test::CertKind::kClient, "agent-1", "cluster-west", 0x00ab01);
  PeerIdentity id = PeerIdentityFromCertificate(cert.cert.get());
  CHECK(id.has_certificate);
  CHECK(id.common_name == "agent-1");
  CHECK(id.organization == "cluster-west");
  CHECK(id.serial_hex == "ab01");
  CHECK(id.sha256_hex == cert.sha256_hex);
  CHECK(id.sha256_hex.size() == 64);

  test::TestCert no_org = ca.Issue(test::CertKind::kClient, "x", "", 0x0a51c0ffee42ULL);
  PeerIdentity id2 = PeerIdentityFromCertificate(no_org.cert.get());
  CHECK(id2.organization.empty());
  CHECK(id2.serial_hex == "a51c0ffee42");
}

TEST_CASE("PeerIdentity: no certificate, no identity", "[unit][server]") {
  CHECK_FALSE(PeerIdentityFromCertificate(nullptr).has_certificate);
  CHECK_FALSE(PeerIdentityFromSsl(nullptr).has_certificate);
}

}  // namespace
}  // namespace cairn
