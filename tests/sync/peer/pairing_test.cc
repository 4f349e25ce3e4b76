// PairWithAppliance against an in-process appliance B (real ingest routes over
// real TLS): the credentials it leaves, and each refusal -- a token of
// another appliance (wrong pin), a replayed token, an expired one, a
// garbled one, an unreachable appliance -- with a message that says what to do.
#include "sync/peer/pairing.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <thread>

#include "core/base/file_system.h"
#include "core/pki/certificate_info.h"
#include "sync/peer/peer_credentials.h"
#include "tests/support/temp_dir.h"
#include "tests/sync/peer/peer_test_appliance.h"

namespace cairn {
namespace {

using test::PeerTestAppliance;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST_CASE("Pairing: a token pairs once; the credentials hold a peer certificate of the pinned CA",
          "[integration][peer]") {
  PeerTestAppliance b;
  TempDir a;
  const auto creds = a.path() / "peers" / "site-b";
  Status st = PairWithAppliance(b.IngestUrl(), b.PairingToken("site-a"), creds, "a.example");
  INFO(st.ToString());
  REQUIRE(st.ok());

  auto c = LoadPeerCredentials(creds);
  REQUIRE(c.ok());
  CHECK(c->ca_pem.find("BEGIN CERTIFICATE") != std::string::npos);
  auto ca_sha = pki::CertificateSha256Hex(c->ca_pem);
  REQUIRE(ca_sha.ok());
  CHECK(*ca_sha == b.services().ca.sha256_hex());
  CHECK(pki::VerifyCertificateAgainstCa(c->cert_pem, c->ca_pem).ok());
  auto info = pki::ParseCertificatePem(c->cert_pem);
  REQUIRE(info.ok());
  CHECK(info->organization == "cairn-replica-peer");

  // The peer B registered is the certificate's CN, named by the token.
  auto peers = b.services().registry.ListPeers();
  REQUIRE(peers.ok());
  REQUIRE(peers->size() == 1);
  const auto& p = peers->front();
  CHECK(p.id == info->common_name);
  CHECK(p.name == "site-a");
  CHECK(p.remote_name == "a.example");
  CHECK(p.cert_serial == info->serial_hex);
  CHECK_FALSE(p.revoked_unix_ns.has_value());
  CHECK(b.services().metrics.peer_pairings.load() == 1);

  // The private key is the owner's only.
  struct stat key_stat {};
  REQUIRE(::stat((creds / "client.key").c_str(), &key_stat) == 0);
  CHECK((key_stat.st_mode & 0777) == 0600);
  struct stat dir_stat {};
  REQUIRE(::stat(creds.c_str(), &dir_stat) == 0);
  CHECK((dir_stat.st_mode & 0077) == 0);

  // A second pairing into the same directory is refused before any request.
  Status again = PairWithAppliance(b.IngestUrl(), b.PairingToken("site-c"), creds, "a");
  CHECK(again.IsAlreadyExists());
  CHECK(Contains(again.message(), "remove it to pair again"));
}

TEST_CASE("Pairing: a token of another appliance is refused by the pin before anything is sent",
          "[integration][peer]") {
  PeerTestAppliance b;
  PeerTestAppliance other;
  TempDir a;
  Status st = PairWithAppliance(b.IngestUrl(), other.PairingToken("site-a"), a.path() / "c", "a");
  REQUIRE_FALSE(st.ok());
  CHECK(st.IsPermissionDenied());
  INFO(st.message());
  CHECK(Contains(st.message(), "does not present the CA this token pins"));
  CHECK(Contains(st.message(), "Check the URL"));
  // Nothing was redeemed on either side, and nothing was written.
  CHECK(b.services().metrics.peer_pairings.load() == 0);
  auto peers = other.services().registry.ListPeers();
  REQUIRE(peers.ok());
  CHECK(peers->empty());
  CHECK_FALSE(std::filesystem::exists(a.path() / "c"));
}

TEST_CASE("Pairing: a replayed token is refused, naming the peer that used it",
          "[integration][peer]") {
  PeerTestAppliance b;
  TempDir a;
  const std::string token = b.PairingToken("site-a");
  REQUIRE(PairWithAppliance(b.IngestUrl(), token, a.path() / "first", "a").ok());
  const std::string first = b.OnlyPeerId();
  Status st = PairWithAppliance(b.IngestUrl(), token, a.path() / "second", "a");
  REQUIRE_FALSE(st.ok());
  CHECK(st.IsPermissionDenied());
  INFO(st.message());
  CHECK(Contains(st.message(), "already used"));
  CHECK(Contains(st.message(), "by peer " + first));
  CHECK(Contains(st.message(), "a token pairs one peer only"));
  CHECK_FALSE(std::filesystem::exists(a.path() / "second" / "client.crt"));
  CHECK(b.OnlyPeerId() == first);
}

TEST_CASE("Pairing: an expired token is refused, saying when it expired", "[integration][peer]") {
  PeerTestAppliance b;
  TempDir a;
  const std::string token = b.PairingToken("site-a", std::chrono::seconds(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  Status st = PairWithAppliance(b.IngestUrl(), token, a.path() / "c", "a");
  REQUIRE_FALSE(st.ok());
  CHECK(st.IsPermissionDenied());
  INFO(st.message());
  CHECK(Contains(st.message(), "expired at"));
  CHECK(Contains(st.message(), "create a new one"));
  auto peers = b.services().registry.ListPeers();
  REQUIRE(peers.ok());
  CHECK(peers->empty());
}

TEST_CASE("Pairing: an enrollment token, a garbled token and a dead address each say what is wrong",
          "[integration][peer]") {
  PeerTestAppliance b;
  TempDir a;
  auto enroll = b.services().registry.CreateEnrollmentToken("edge", std::chrono::hours(1),
                                                            b.services().ca.sha256_hex(), "test");
  REQUIRE(enroll.ok());
  Status wrong_kind = PairWithAppliance(b.IngestUrl(), enroll->text, a.path() / "c", "a");
  CHECK(wrong_kind.IsInvalidArgument());
  CHECK(Contains(wrong_kind.message(), "not a cairn pairing token"));
  CHECK(Contains(wrong_kind.message(), "cairnctl peer token create"));

  std::string garbled = b.PairingToken("site-a");
  garbled.resize(garbled.size() - 10);
  Status cut = PairWithAppliance(b.IngestUrl(), garbled, a.path() / "c", "a");
  CHECK(cut.IsInvalidArgument());
  CHECK(Contains(cut.message(), "CA pin"));

  // A port nobody listens on: B's admin port once B is gone.
  std::string dead;
  {
    PeerTestAppliance gone;
    dead = gone.IngestUrl();
  }
  Status down = PairWithAppliance(dead, b.PairingToken("site-x"), a.path() / "c", "a");
  CHECK(down.code() == Status::Code::kUnavailable);
  INFO(down.message());
  CHECK(Contains(down.message(), "cannot reach the appliance"));
  CHECK_FALSE(std::filesystem::exists(a.path() / "c" / "client.crt"));
}

}  // namespace
}  // namespace cairn
