// Registry: replication peers -- pairing tokens from creation to redemption
// (every refusal, single use under concurrency), and the peers themselves:
// lookup by certificate serial, revocation, last-seen, running sums.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "appliance/registry/registry.h"
#include "core/protocol/enrollment_token.h"
#include "core/protocol/pinned_token.h"
#include "core/protocol/token_secret.h"
#include "tests/appliance/registry/registry_fixture.h"

namespace cairn {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
constexpr std::int64_t kSecond = 1'000'000'000;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

Registry::PairingToken NewPairingToken(RegistryFixture& fx, const std::string& name,
                                       std::chrono::seconds ttl = hours(24)) {
  auto t = fx.registry->CreatePairingToken(name, ttl, kTestCaPin, "test");
  INFO(t.status().ToString());
  REQUIRE(t.ok());
  return *t;
}

// A peer as the pairing route builds one: a fresh id, a certificate's fields.
Registry::PeerRecord Candidate(int n) {
  Registry::PeerRecord p;
  auto id = NewPeerId();
  REQUIRE(id.ok());
  p.id = *id;
  p.remote_name = "host-" + std::to_string(n);
  p.cert_serial = "abc" + std::to_string(n);
  p.cert_sha256 = std::string(63, 'A') + std::to_string(n % 10);
  p.cert_not_after_unix = 2'000'000'000;
  return p;
}

TEST_CASE("Registry: a pairing token pairs one peer, named by the token", "[unit][registry]") {
  RegistryFixture fx;
  auto token = NewPairingToken(fx, "site-a", hours(2));
  CHECK(IsTokenId(token.id));
  CHECK(token.peer_name == "site-a");
  CHECK(token.text.starts_with("cairn-pair.v1." + token.id + "."));
  CHECK(token.expires_unix_ns == fx.clock.NowUnixNanos() + 2 * 3600 * kSecond);
  auto parsed = ParsePinnedToken(kPairingTokenKind, token.text);
  REQUIRE(parsed.ok());
  CHECK(parsed->ca_sha256_hex == kTestCaPin);
  // A pairing token is not an enrollment token, nor the other way round.
  CHECK(ParseEnrollmentToken(token.text).status().IsInvalidArgument());

  fx.clock.Advance(60 * kSecond);
  auto peer = fx.registry->RedeemPairingToken(token.text, Candidate(1));
  INFO(peer.status().ToString());
  REQUIRE(peer.ok());
  CHECK(peer->name == "site-a");
  CHECK(peer->remote_name == "host-1");
  CHECK(peer->created_unix_ns == fx.clock.NowUnixNanos());
  CHECK(peer->cert_sha256 == std::string(63, 'a') + "1");  // stored lowercase
  CHECK(peer->objects_held == 0);

  auto by_serial = fx.registry->FindPeerBySerial("abc1");
  REQUIRE(by_serial.ok());
  REQUIRE(by_serial->has_value());
  CHECK(**by_serial == *peer);
  auto listed = fx.registry->ListPeers();
  REQUIRE(listed.ok());
  CHECK(*listed == std::vector<Registry::PeerRecord>{*peer});
  auto none = fx.registry->FindPeerBySerial("abc2");
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  // Peers are not agents: the agent lookup does not see them.
  auto agent = fx.registry->FindAgentBySerial("abc1");
  REQUIRE(agent.ok());
  CHECK_FALSE(agent->has_value());
}

TEST_CASE("Registry: a pairing token is refused when replayed, expired, forged or unknown",
          "[unit][registry]") {
  RegistryFixture fx;
  auto token = NewPairingToken(fx, "site-a", hours(1));
  auto first = fx.registry->RedeemPairingToken(token.text, Candidate(1));
  REQUIRE(first.ok());

  auto replay = fx.OpenAnother()->RedeemPairingToken(token.text, Candidate(2));
  REQUIRE_FALSE(replay.ok());
  CHECK(replay.error().IsPermissionDenied());
  CHECK(Contains(replay.error().message(), "already used at"));
  CHECK(Contains(replay.error().message(), "by peer " + first->id));

  auto late = NewPairingToken(fx, "site-b", hours(1));
  fx.clock.Advance(3600 * kSecond);
  auto expired = fx.registry->RedeemPairingToken(late.text, Candidate(3));
  REQUIRE_FALSE(expired.ok());
  CHECK(expired.error().IsPermissionDenied());
  CHECK(Contains(expired.error().message(), "pairing token " + late.id + " expired at"));

  auto fresh = NewPairingToken(fx, "site-c");
  auto f = SplitTokenText(fresh.text);
  const std::string forged = std::string(f[0]) + "." + std::string(f[1]) + "." + std::string(f[2]) +
                             "." + Base64UrlEncode(Bytes(32, 9)) + "." + std::string(f[4]);
  auto wrong = fx.registry->RedeemPairingToken(forged, Candidate(4));
  REQUIRE_FALSE(wrong.ok());
  CHECK(Contains(wrong.error().message(), "wrong secret"));
  CHECK_FALSE(Contains(wrong.error().message(), std::string(f[3]).substr(0, 16)));

  const std::string unknown =
      "cairn-pair.v1.0011223344556677." + std::string(f[3]) + "." + kTestCaPin;
  auto u = fx.registry->RedeemPairingToken(unknown, Candidate(5));
  REQUIRE_FALSE(u.ok());
  CHECK(Contains(u.error().message(), "unknown to this appliance"));
  auto garbage = fx.registry->RedeemPairingToken("cairn-pair.v1", Candidate(6));
  CHECK(garbage.status().IsPermissionDenied());

  // None of the refusals spent the fresh token or registered anything.
  auto ok = fx.registry->RedeemPairingToken(fresh.text, Candidate(7));
  REQUIRE(ok.ok());
  auto listed = fx.registry->ListPeers();
  REQUIRE(listed.ok());
  CHECK(listed->size() == 2);
}

TEST_CASE("Registry: one name, one active peer; revoking frees the name", "[unit][registry]") {
  RegistryFixture fx;
  auto t1 = NewPairingToken(fx, "site-a");
  auto t2 = NewPairingToken(fx, "site-a");  // two tokens for one name: only one can win
  auto first = fx.registry->RedeemPairingToken(t1.text, Candidate(1));
  REQUIRE(first.ok());
  auto second = fx.registry->RedeemPairingToken(t2.text, Candidate(2));
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().IsPermissionDenied());
  CHECK(Contains(second.error().message(), "already is"));
  auto third = fx.registry->CreatePairingToken("site-a", hours(1), kTestCaPin, "test");
  CHECK(third.status().IsAlreadyExists());
  CHECK(Contains(third.status().message(), "revoke it first"));

  fx.clock.Advance(5 * kSecond);
  REQUIRE(fx.registry->RevokePeer(first->id).ok());
  const std::int64_t revoked_at = fx.clock.NowUnixNanos();
  fx.clock.Advance(5 * kSecond);
  REQUIRE(fx.registry->RevokePeer(first->id).ok());  // again: keeps the first time
  auto found = fx.registry->FindPeer(first->id);
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((*found)->revoked_unix_ns == revoked_at);
  CHECK(fx.registry->RevokePeer("peer-0000000000000000").IsNotFound());

  // The token refused above was left unspent: it now pairs a new peer.
  auto again = fx.registry->RedeemPairingToken(t2.text, Candidate(2));
  REQUIRE(again.ok());
  CHECK(again->id != first->id);
  CHECK(again->name == "site-a");
}

TEST_CASE("Registry: concurrent redeemers of one pairing token, exactly one wins",
          "[unit][registry]") {
  RegistryFixture fx;
  auto token = NewPairingToken(fx, "site-a");
  constexpr int kThreads = 6;
  std::vector<std::unique_ptr<Registry>> registries;
  std::vector<Registry::PeerRecord> candidates;
  for (int i = 0; i < kThreads; ++i) {
    registries.push_back(fx.OpenAnother());
    candidates.push_back(Candidate(i));
  }
  std::atomic<int> wins{0};
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      if (registries[i]->RedeemPairingToken(token.text, candidates[i]).ok()) ++wins;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(wins.load() == 1);
  auto listed = fx.registry->ListPeers();
  REQUIRE(listed.ok());
  CHECK(listed->size() == 1);
}

TEST_CASE("Registry: bad pairing requests are refused with what is allowed", "[unit][registry]") {
  RegistryFixture fx;
  auto bad_name = fx.registry->CreatePairingToken("Site A", hours(1), kTestCaPin, "test");
  CHECK(bad_name.status().IsInvalidArgument());
  CHECK(Contains(bad_name.status().message(), "DNS-1123 label"));
  auto bad_ttl = fx.registry->CreatePairingToken("site-a", seconds(0), kTestCaPin, "test");
  CHECK(bad_ttl.status().IsInvalidArgument());
  CHECK(Contains(bad_ttl.status().message(), "pairing token lifetime"));
  CHECK(fx.registry->CreatePairingToken("site-a", hours(1), "abc", "test")
            .status()
            .IsInvalidArgument());
  CHECK(fx.registry->CreatePairingToken("site-a", hours(1), kTestCaPin, "")
            .status()
            .IsInvalidArgument());

  auto token = NewPairingToken(fx, "site-a");
  auto bad_id = Candidate(1);
  bad_id.id = "../etc";
  CHECK(fx.registry->RedeemPairingToken(token.text, bad_id).status().IsInvalidArgument());
  auto control = Candidate(2);
  control.remote_name = "host\nname";
  CHECK(fx.registry->RedeemPairingToken(token.text, control).status().IsInvalidArgument());
  // The refusals above did not spend the token.
  CHECK(fx.registry->RedeemPairingToken(token.text, Candidate(3)).ok());
  CHECK_FALSE(IsValidPeerId("peer-0011"));
  CHECK_FALSE(IsValidPeerId("ag-0011223344556677"));
  CHECK(IsValidPeerId("peer-0011223344556677"));
}

TEST_CASE("Registry: a peer's last-seen and running sums", "[unit][registry]") {
  RegistryFixture fx;
  auto peer = fx.registry->RedeemPairingToken(NewPairingToken(fx, "site-a").text, Candidate(1));
  REQUIRE(peer.ok());
  REQUIRE(fx.registry->TouchPeer(peer->id).ok());
  const std::int64_t first_seen = fx.clock.NowUnixNanos();
  fx.clock.Advance(10 * kSecond);
  REQUIRE(fx.registry->TouchPeer(peer->id).ok());  // within a minute: not written
  auto found = fx.registry->FindPeer(peer->id);
  REQUIRE(found.ok());
  CHECK((*found)->last_seen_unix_ns == first_seen);

  REQUIRE(fx.registry->AddPeerHoldings(peer->id, 1, 1000).ok());
  REQUIRE(fx.registry->AddPeerHoldings(peer->id, 1, 24).ok());
  REQUIRE(fx.registry->AddPeerHoldings(peer->id, 0, -4).ok());  // a smaller config
  found = fx.registry->FindPeer(peer->id);
  REQUIRE(found.ok());
  CHECK((*found)->objects_held == 2);
  CHECK((*found)->bytes_held == 1020);
  CHECK((*found)->last_seen_unix_ns == fx.clock.NowUnixNanos());
  CHECK(fx.registry->AddPeerHoldings("peer-0000000000000000", 1, 1).IsNotFound());
  CHECK(fx.registry->TouchPeer("peer-0000000000000000").IsNotFound());
}

TEST_CASE("Registry: peers and pairing tokens survive a catalog rebuild", "[unit][registry]") {
  RegistryFixture fx;
  auto peer = fx.registry->RedeemPairingToken(NewPairingToken(fx, "site-a").text, Candidate(1));
  REQUIRE(peer.ok());
  REQUIRE(fx.registry->AddPeerHoldings(peer->id, 3, 300).ok());
  auto unused = NewPairingToken(fx, "site-b");

  // What `cairnctl catalog rebuild` does to the registry: a fresh catalog,
  // the registry carried over from the old file.
  const auto fresh_path = fx.dir.path() / "fresh.db";
  {
    auto fresh = Catalog::Open(fresh_path);
    REQUIRE(fresh.ok());
    Status carried = (*fresh)->ImportRegistryFrom(fx.db_path());
    INFO(carried.ToString());
    REQUIRE(carried.ok());
  }
  auto reopened = Registry::Open(fresh_path, fx.clock);
  REQUIRE(reopened.ok());
  auto found = (*reopened)->FindPeerBySerial("abc1");
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK(**found == *(*fx.registry->FindPeer(peer->id)));
  CHECK((*found)->bytes_held == 300);
  CHECK((*reopened)->RedeemPairingToken(unused.text, Candidate(2)).ok());
}

}  // namespace
}  // namespace cairn
