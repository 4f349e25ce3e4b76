// Registry: opening the catalog, clusters, and enrollment tokens from
// creation to redemption, including every refusal.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "core/protocol/enrollment_token.h"
#include "appliance/registry/registry.h"
#include "core/protocol/token_secret.h"
#include "core/catalog/migrations.h"
#include "core/catalog/sqlite_db.h"
#include "tests/appliance/registry/registry_fixture.h"

namespace cairn {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
constexpr std::int64_t kSecond = 1'000'000'000;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The token text with its secret field replaced.
std::string WithSecret(const std::string& text, const std::string& secret_field) {
  auto f = SplitTokenText(text);
  REQUIRE(f.size() == 5);
  return std::string(f[0]) + "." + std::string(f[1]) + "." + std::string(f[2]) + "." +
         secret_field + "." + std::string(f[4]);
}

TEST_CASE("Registry: a token enrolls one agent into its cluster", "[unit][registry]") {
  RegistryFixture fx;
  auto token = fx.NewToken("prod-eu1", hours(24));
  CHECK(IsTokenId(token.id));
  CHECK(token.cluster == "prod-eu1");
  CHECK(token.expires_unix_ns == fx.clock.NowUnixNanos() + 24 * 3600 * kSecond);
  auto parsed = ParseEnrollmentToken(token.text);
  REQUIRE(parsed.ok());
  CHECK(parsed->id == token.id);
  CHECK(parsed->ca_sha256_hex == kTestCaPin);

  auto clusters = fx.registry->ListClusters();
  REQUIRE(clusters.ok());
  CHECK(*clusters == std::vector<std::string>{"prod-eu1"});

  fx.clock.Advance(3600 * kSecond);
  auto cluster = fx.registry->RedeemEnrollmentToken(token.text, "prod-eu1", "agent-1");
  INFO(cluster.status().ToString());
  REQUIRE(cluster.ok());
  CHECK(*cluster == "prod-eu1");
  // An empty expected cluster accepts the token's own (the agent learns it).
  auto other = fx.NewToken("prod-eu1");
  auto learned = fx.registry->RedeemEnrollmentToken(other.text, "", "agent-2");
  REQUIRE(learned.ok());
  CHECK(*learned == "prod-eu1");

  // A second token for the same cluster does not duplicate it; the secret is
  // stored only as its SHA-256.
  auto db = SqliteDb::Open(fx.db_path());
  REQUIRE(db.ok());
  CHECK(*(*db)->QueryInt("SELECT count(*) FROM clusters") == 1);
  CHECK(*(*db)->QueryInt("SELECT count(*) FROM enrollment_tokens WHERE length(secret_sha256) = 32 "
                         "AND used_by_agent IS NOT NULL") == 2);
  auto digest = DigestSecret(parsed->secret);
  REQUIRE(digest.ok());
  CHECK(*(*db)->QueryInt("SELECT count(*) FROM enrollment_tokens WHERE hex(secret_sha256) = "
                         "upper('" +
                         ToHex(*digest) + "')") == 1);
}

TEST_CASE("Registry: a redeemed token is refused the second time, naming the first agent",
          "[unit][registry]") {
  RegistryFixture fx;
  auto token = fx.NewToken("edge");
  REQUIRE(fx.registry->RedeemEnrollmentToken(token.text, "edge", "agent-first").ok());
  fx.clock.Advance(90 * kSecond);
  auto again = fx.registry->RedeemEnrollmentToken(token.text, "edge", "agent-second");
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().IsPermissionDenied());
  INFO(again.error().message());
  CHECK(Contains(again.error().message(),
                 "already used at 2023-11-14T22:13:20Z by agent agent-first"));
  // Another connection sees the same: the use is durable, not in memory.
  auto second = fx.OpenAnother();
  auto third = second->RedeemEnrollmentToken(token.text, "", "agent-third");
  REQUIRE_FALSE(third.ok());
  CHECK(Contains(third.error().message(), "by agent agent-first"));
}

TEST_CASE("Registry: an expired token is refused, saying when it expired", "[unit][registry]") {
  RegistryFixture fx;
  auto early = fx.NewToken("edge", hours(1));
  auto late = fx.NewToken("edge", hours(1));
  // One nanosecond before expiry it still works ...
  fx.clock.Advance(3600 * kSecond - 1);
  REQUIRE(fx.registry->RedeemEnrollmentToken(early.text, "edge", "a1").ok());
  // ... at the expiry instant it does not.
  fx.clock.Advance(1);
  auto r = fx.registry->RedeemEnrollmentToken(late.text, "edge", "a2");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().IsPermissionDenied());
  INFO(r.error().message());
  // FakeClock starts at 2023-11-14T22:13:20Z; one hour later.
  CHECK(Contains(r.error().message(), "expired at 2023-11-14T23:13:20Z"));
  CHECK(Contains(r.error().message(), late.id));
}

TEST_CASE("Registry: a token of another cluster is refused and stays usable for its own",
          "[unit][registry]") {
  RegistryFixture fx;
  auto token = fx.NewToken("prod");
  auto r = fx.registry->RedeemEnrollmentToken(token.text, "staging", "a1");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().IsPermissionDenied());
  INFO(r.error().message());
  CHECK(Contains(r.error().message(), "is for cluster prod, not staging"));
  auto ok = fx.registry->RedeemEnrollmentToken(token.text, "prod", "a1");
  INFO(ok.status().ToString());
  CHECK(ok.ok());
}

TEST_CASE("Registry: a wrong secret is refused without echoing it, and burns nothing",
          "[unit][registry]") {
  RegistryFixture fx;
  auto token = fx.NewToken("prod");
  const std::string forged_secret = Base64UrlEncode(Bytes(kTokenSecretBytes, 0x42));
  const std::string forged = WithSecret(token.text, forged_secret);
  auto r = fx.registry->RedeemEnrollmentToken(forged, "prod", "mallory");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().IsPermissionDenied());
  INFO(r.error().message());
  CHECK(Contains(r.error().message(), "wrong secret"));
  CHECK_FALSE(Contains(r.error().message(), forged_secret.substr(0, 16)));
  const std::string real_secret(SplitTokenText(token.text)[3]);
  CHECK_FALSE(Contains(r.error().message(), real_secret.substr(0, 16)));
  // The wrong secret must not reveal the token's state either: an expired,
  // used token of another cluster still answers "wrong secret".
  REQUIRE(fx.registry->RedeemEnrollmentToken(token.text, "prod", "alice").ok());
  fx.clock.Advance(48 * 3600 * kSecond);
  auto r2 = fx.registry->RedeemEnrollmentToken(forged, "other", "mallory");
  REQUIRE_FALSE(r2.ok());
  CHECK(Contains(r2.error().message(), "wrong secret"));
}

TEST_CASE("Registry: tampered and malformed token text is refused with distinct messages",
          "[unit][registry]") {
  RegistryFixture fx;
  auto token = fx.NewToken("prod");
  const auto f = SplitTokenText(token.text);

  // A changed id names a token that does not exist.
  std::string id(f[2]);
  id[0] = id[0] == '0' ? '1' : '0';
  const std::string other_id = std::string(f[0]) + "." + std::string(f[1]) + "." + id + "." +
                               std::string(f[3]) + "." + std::string(f[4]);
  auto r = fx.registry->RedeemEnrollmentToken(other_id, "prod", "a1");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().IsPermissionDenied());
  CHECK(Contains(r.error().message(), "enrollment token " + id + " is unknown"));

  // A flipped character of the secret: either not base64url-canonical
  // (malformed) or a different secret (wrong secret); never accepted.
  for (std::size_t pos : {std::size_t{0}, std::size_t{20}, f[3].size() - 1}) {
    std::string secret(f[3]);
    secret[pos] = secret[pos] == 'A' ? 'B' : 'A';
    auto t = fx.registry->RedeemEnrollmentToken(WithSecret(token.text, secret), "prod", "a1");
    REQUIRE_FALSE(t.ok());
    CHECK(t.error().IsPermissionDenied());
    INFO(t.error().message());
    CHECK((Contains(t.error().message(), "wrong secret") ||
           Contains(t.error().message(), "malformed enrollment token")));
  }

  // Cut short when copied.
  auto cut = fx.registry->RedeemEnrollmentToken(token.text.substr(0, 40), "prod", "a1");
  REQUIRE_FALSE(cut.ok());
  CHECK(cut.error().IsPermissionDenied());
  CHECK(Contains(cut.error().message(), "instead of 5"));

  // None of that used the token up.
  CHECK(fx.registry->RedeemEnrollmentToken(token.text, "prod", "a1").ok());
  // And a bad agent id is the caller's error, not a refusal of the token.
  CHECK(fx.registry->RedeemEnrollmentToken(token.text, "prod", "has space")
            .status()
            .IsInvalidArgument());
}

TEST_CASE("Registry: creating a token checks the cluster name, lifetime, pin and creator",
          "[unit][registry]") {
  RegistryFixture fx;
  for (const char* bad : {"", "Prod", "-prod", "prod-", "prod_eu", "a.b",
                          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}) {
    INFO(bad);
    auto t = fx.registry->CreateEnrollmentToken(bad, hours(1), kTestCaPin, "test");
    REQUIRE_FALSE(t.ok());
    CHECK(t.error().IsInvalidArgument());
    CHECK(Contains(t.error().message(), "DNS-1123 label"));
  }
  for (const std::string& good :
       std::vector<std::string>{"a", "0", "prod-eu-1", "1-2", std::string(63, 'x')}) {
    INFO(good);
    CHECK(IsValidClusterName(good));
  }
  CHECK(fx.registry->CreateEnrollmentToken("p", seconds(0), kTestCaPin, "t")
            .status()
            .IsInvalidArgument());
  CHECK(fx.registry->CreateEnrollmentToken("p", hours(24 * 3651), kTestCaPin, "t")
            .status()
            .IsInvalidArgument());
  CHECK(
      fx.registry->CreateEnrollmentToken("p", hours(1), "abcd", "t").status().IsInvalidArgument());
  CHECK(fx.registry->CreateEnrollmentToken("p", hours(1), kTestCaPin, "")
            .status()
            .IsInvalidArgument());
  // Nothing refused left a cluster behind.
  CHECK(fx.registry->ListClusters()->empty());
}

TEST_CASE("Registry: of concurrent redeemers of one token exactly one wins", "[unit][registry]") {
  RegistryFixture fx;
  // Two threads share one Registry (its mutex), two more have their own
  // connections (SQLite's lock and the conditional UPDATE).
  auto second = fx.OpenAnother();
  auto third = fx.OpenAnother();
  Registry* regs[] = {fx.registry.get(), fx.registry.get(), second.get(), third.get()};
  constexpr int kRounds = 10;
  for (int round = 0; round < kRounds; ++round) {
    auto token = fx.NewToken("race");
    std::latch start(4);
    std::vector<std::future<Result<std::string>>> results;
    for (int i = 0; i < 4; ++i) {
      results.push_back(std::async(std::launch::async, [&, i] {
        start.arrive_and_wait();
        return regs[i]->RedeemEnrollmentToken(token.text, "race", "agent-" + std::to_string(i));
      }));
    }
    int wins = 0;
    for (auto& f : results) {
      // Bounded: the losers wait at most busy_timeout (5 s) for the lock.
      REQUIRE(f.wait_for(std::chrono::seconds(60)) == std::future_status::ready);
      Result<std::string> r = f.get();
      if (r.ok()) {
        ++wins;
        CHECK(*r == "race");
      } else {
        INFO(r.error().ToString());
        CHECK(r.error().IsPermissionDenied());
        CHECK(Contains(r.error().message(), "already used"));
      }
    }
    CHECK(wins == 1);
  }
}

TEST_CASE("Registry: Open refuses a v1 catalog, a missing file and a foreign SQLite file",
          "[unit][registry]") {
  TempDir dir;
  FakeClock clock;
  const auto v1 = dir.path() / "v1.db";
  {
    auto db = SqliteDb::Open(v1);
    REQUIRE(db.ok());
    REQUIRE(TEST_MigrateWith(**db, CatalogMigrations().first(1)).ok());
  }
  auto r = Registry::Open(v1, clock);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().IsInvalidArgument());
  INFO(r.error().message());
  CHECK(Contains(r.error().message(), "schema v1 has no registry tables"));
  CHECK(Contains(r.error().message(), "open the store with this cairn first"));
  // Once migrated (as Catalog::Open does), the same file opens.
  REQUIRE(Catalog::Open(v1).ok());
  CHECK(Registry::Open(v1, clock).ok());

  const auto missing = dir.path() / "missing.db";
  auto m = Registry::Open(missing, clock);
  REQUIRE_FALSE(m.ok());
  CHECK(m.error().IsNotFound());
  CHECK_FALSE(std::filesystem::exists(missing));

  const auto foreign = dir.path() / "foreign.db";
  {
    auto db = SqliteDb::Open(foreign);
    REQUIRE(db.ok());
    REQUIRE((*db)->Exec("CREATE TABLE photos (id INTEGER); PRAGMA user_version = 7").ok());
  }
  auto f = Registry::Open(foreign, clock);
  REQUIRE_FALSE(f.ok());
  CHECK(f.error().IsInvalidArgument());
  CHECK(Contains(f.error().message(), "not a cairn catalog"));
}

}  // namespace
}  // namespace cairn
