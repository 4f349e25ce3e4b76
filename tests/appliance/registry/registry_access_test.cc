// Registry: admin API tokens and the audit log.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "appliance/registry/api_token.h"
#include "appliance/registry/registry.h"
#include "core/protocol/token_secret.h"
#include "core/catalog/sqlite_db.h"
#include "tests/appliance/registry/registry_fixture.h"

namespace cairn {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST_CASE("Registry: an API token authenticates with its role; its secret is not stored",
          "[unit][registry]") {
  RegistryFixture fx;
  auto created = fx.registry->CreateApiToken("ci", Role::kOperator);
  INFO(created.status().ToString());
  REQUIRE(created.ok());
  const auto& [record, text] = *created;
  CHECK(record.name == "ci");
  CHECK(record.role == Role::kOperator);
  CHECK(record.created_unix_ns == fx.clock.NowUnixNanos());
  auto parsed = ParseApiToken(text);
  REQUIRE(parsed.ok());
  CHECK(parsed->id == record.id);

  fx.clock.Advance(5 * kSecond);
  auto who = fx.registry->AuthenticateApiToken(text);
  INFO(who.status().ToString());
  REQUIRE(who.ok());
  CHECK(who->id == record.id);
  CHECK(who->role == Role::kOperator);
  CHECK(who->last_used_unix_ns == fx.clock.NowUnixNanos());

  // Nothing in the file contains the secret or its base64url text.
  auto db = SqliteDb::Open(fx.db_path());
  REQUIRE(db.ok());
  const std::string secret_hex = ToHex(parsed->secret);
  CHECK(*(*db)->QueryInt("SELECT count(*) FROM api_tokens WHERE instr(lower(hex(secret_sha256)), "
                         "'" +
                         secret_hex.substr(0, 16) + "') > 0") == 0);
  auto digest = DigestSecret(parsed->secret);
  REQUIRE(digest.ok());
  CHECK(*(*db)->QueryInt("SELECT count(*) FROM api_tokens WHERE lower(hex(secret_sha256)) = '" +
                         ToHex(*digest) + "'") == 1);

  auto listed = fx.registry->ListApiTokens();
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 1);
  CHECK(listed->front() == *who);
}

TEST_CASE("Registry: last_used of an API token is written at most once a minute",
          "[unit][registry]") {
  RegistryFixture fx;
  auto created = fx.registry->CreateApiToken("dash", Role::kAuditor);
  REQUIRE(created.ok());
  const std::int64_t t0 = fx.clock.NowUnixNanos();
  REQUIRE(fx.registry->AuthenticateApiToken(created->second).ok());
  fx.clock.Advance(30 * kSecond);
  auto second = fx.registry->AuthenticateApiToken(created->second);
  REQUIRE(second.ok());
  CHECK(second->last_used_unix_ns == t0);
  fx.clock.Advance(30 * kSecond);
  auto third = fx.registry->AuthenticateApiToken(created->second);
  REQUIRE(third.ok());
  CHECK(third->last_used_unix_ns == t0 + 60 * kSecond);
  CHECK(fx.registry->ListApiTokens()->front().last_used_unix_ns == t0 + 60 * kSecond);
}

TEST_CASE("Registry: wrong, unknown, malformed and revoked API tokens are refused",
          "[unit][registry]") {
  RegistryFixture fx;
  auto created = fx.registry->CreateApiToken("alice laptop", Role::kAdmin);
  REQUIRE(created.ok());
  const std::string& text = created->second;
  const std::string id = created->first.id;
  const std::string real_secret = text.substr(text.rfind('.') + 1);

  const std::string forged_secret = Base64UrlEncode(Bytes(kTokenSecretBytes, 0x11));
  const std::string forged = "cairn-api.v1." + id + "." + forged_secret;
  auto wrong = fx.registry->AuthenticateApiToken(forged);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().IsPermissionDenied());
  CHECK(Contains(wrong.error().message(), "API token " + id + ": wrong secret"));
  CHECK_FALSE(Contains(wrong.error().message(), forged_secret.substr(0, 16)));
  CHECK_FALSE(Contains(wrong.error().message(), real_secret.substr(0, 16)));

  auto unknown = fx.registry->AuthenticateApiToken("cairn-api.v1.0000000000000000." + real_secret);
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().IsPermissionDenied());
  CHECK(Contains(unknown.error().message(), "is unknown"));

  auto malformed = fx.registry->AuthenticateApiToken("Bearer " + text);
  REQUIRE_FALSE(malformed.ok());
  CHECK(malformed.error().IsPermissionDenied());
  CHECK(Contains(malformed.error().message(), "not a cairn API token"));
  CHECK_FALSE(Contains(malformed.error().message(), real_secret.substr(0, 16)));

  fx.clock.Advance(kSecond);
  REQUIRE(fx.registry->RevokeApiToken(id).ok());
  fx.clock.Advance(kSecond);
  CHECK(fx.registry->RevokeApiToken(id).ok());  // idempotent, keeps the first time
  auto revoked = fx.registry->AuthenticateApiToken(text);
  REQUIRE_FALSE(revoked.ok());
  CHECK(revoked.error().IsPermissionDenied());
  INFO(revoked.error().message());
  CHECK(Contains(revoked.error().message(),
                 "(\"alice laptop\") was revoked at 2023-11-14T22:13:21Z"));
  CHECK(fx.registry->ListApiTokens()->front().revoked_unix_ns == 1'700'000'001'000'000'000);

  CHECK(fx.registry->RevokeApiToken("0000000000000000").IsNotFound());
  CHECK(fx.registry->CreateApiToken("", Role::kAdmin).status().IsInvalidArgument());
  CHECK(fx.registry->CreateApiToken(std::string(129, 'n'), Role::kAdmin)
            .status()
            .IsInvalidArgument());
}

TEST_CASE("Registry: API tokens are listed oldest first, each with its role", "[unit][registry]") {
  RegistryFixture fx;
  REQUIRE(fx.registry->CreateApiToken("first", Role::kAdmin).ok());
  fx.clock.Advance(kSecond);
  REQUIRE(fx.registry->CreateApiToken("second", Role::kAuditor).ok());
  auto listed = fx.registry->ListApiTokens();
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 2);
  CHECK((*listed)[0].name == "first");
  CHECK((*listed)[0].role == Role::kAdmin);
  CHECK((*listed)[1].name == "second");
  CHECK((*listed)[1].role == Role::kAuditor);
  CHECK_FALSE((*listed)[1].last_used_unix_ns.has_value());
}

TEST_CASE("Registry: audit entries append in order and page by after_seq", "[unit][registry]") {
  RegistryFixture fx;
  for (int i = 0; i < 5; ++i) {
    fx.clock.Advance(kSecond);
    Status s = fx.registry->Audit("api-token:abc", "agent.revoke", "agent-" + std::to_string(i),
                                  i == 3 ? "denied" : "ok", {{"i", i}, {"why", "test"}});
    INFO(s.ToString());
    REQUIRE(s.ok());
  }
  auto all = fx.registry->ListAudit(0, 100);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 5);
  for (std::size_t i = 0; i < all->size(); ++i) {
    const auto& e = (*all)[i];
    INFO(i);
    if (i > 0) CHECK(e.seq > (*all)[i - 1].seq);
    CHECK(e.target == "agent-" + std::to_string(i));
    CHECK(e.actor == "api-token:abc");
    CHECK(e.action == "agent.revoke");
    CHECK(e.outcome == (i == 3 ? "denied" : "ok"));
    CHECK(e.at_unix_ns == 1'700'000'000'000'000'000 + static_cast<std::int64_t>(i + 1) * kSecond);
    auto detail = nlohmann::json::parse(e.detail_json);
    CHECK(detail["i"] == i);
    CHECK(detail["why"] == "test");
  }

  // Paging: two at a time, each page after the last seq seen.
  std::vector<std::string> targets;
  std::int64_t after = 0;
  int pages = 0;
  for (;;) {
    auto page = fx.registry->ListAudit(after, 2);
    REQUIRE(page.ok());
    REQUIRE(page->size() <= 2);
    if (page->empty()) break;
    ++pages;
    for (const auto& e : *page) targets.push_back(e.target);
    after = page->back().seq;
    REQUIRE(pages < 10);
  }
  CHECK(pages == 3);
  CHECK(targets == std::vector<std::string>{"agent-0", "agent-1", "agent-2", "agent-3", "agent-4"});
  CHECK(fx.registry->ListAudit((*all)[2].seq, 100)->size() == 2);
  CHECK(fx.registry->ListAudit(0, 0)->empty());
}

TEST_CASE("Registry: audit refuses bad outcomes and details, and bounds field sizes",
          "[unit][registry]") {
  RegistryFixture fx;
  CHECK(fx.registry->Audit("a", "x", "t", "maybe").IsInvalidArgument());
  CHECK(fx.registry->Audit("a", "", "t", "ok").IsInvalidArgument());
  CHECK(fx.registry->Audit("a", "x", "t", "ok", nlohmann::json::array({1, 2})).IsInvalidArgument());
  CHECK(fx.registry->ListAudit(0, 10)->empty());

  REQUIRE(
      fx.registry
          ->Audit("a", "x", std::string(5000, 't'), "failed", {{"blob", std::string(20000, 'b')}})
          .ok());
  // Invalid UTF-8 in the detail is replaced, not refused.
  REQUIRE(fx.registry->Audit("a", "x", "t", "ok", {{"path", std::string("bad\xff")}}).ok());
  auto entries = fx.registry->ListAudit(0, 10);
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 2);
  CHECK((*entries)[0].target.size() == 1024);
  auto detail = nlohmann::json::parse((*entries)[0].detail_json);
  CHECK(detail["truncated"] == true);
  CHECK(detail["bytes"].get<std::size_t>() > 20000);
  auto replaced = nlohmann::json::parse((*entries)[1].detail_json);
  CHECK(replaced["path"] == "bad\xEF\xBF\xBD");
  CHECK((*entries)[0].detail_json != "{}");
}

}  // namespace
}  // namespace cairn
