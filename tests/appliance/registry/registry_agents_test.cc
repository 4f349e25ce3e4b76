// Registry: enrolled agents and clusters.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "appliance/registry/registry.h"
#include "tests/appliance/registry/registry_fixture.h"

namespace cairn {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

Registry::AgentRecord Agent(const std::string& id, const std::string& cluster,
                            const std::string& serial) {
  Registry::AgentRecord a;
  a.id = id;
  a.cluster = cluster;
  a.common_name = "agent:" + id;
  a.cert_serial = serial;
  a.cert_sha256 = std::string(64, serial.back());
  a.cert_not_after_unix = 1'800'000'000;
  return a;
}

std::vector<std::string> Ids(const std::vector<Registry::AgentRecord>& agents) {
  std::vector<std::string> ids;
  for (const auto& a : agents) ids.push_back(a.id);
  return ids;
}

TEST_CASE("Registry: agents are registered, found by serial and listed by cluster",
          "[unit][registry]") {
  RegistryFixture fx;
  fx.NewToken("beta");
  fx.NewToken("alpha");
  REQUIRE(fx.registry->RegisterAgent(Agent("b1", "beta", "0b")).ok());
  fx.clock.Advance(kSecond);
  REQUIRE(fx.registry->RegisterAgent(Agent("a2", "alpha", "0a")).ok());
  fx.clock.Advance(kSecond);
  REQUIRE(fx.registry->RegisterAgent(Agent("a1", "alpha", "01")).ok());

  auto all = fx.registry->ListAgents();
  REQUIRE(all.ok());
  // By cluster, then creation time: a2 registered before a1.
  CHECK(Ids(*all) == std::vector<std::string>{"a2", "a1", "b1"});
  auto alpha = fx.registry->ListAgents("alpha");
  REQUIRE(alpha.ok());
  CHECK(Ids(*alpha) == std::vector<std::string>{"a2", "a1"});
  CHECK(fx.registry->ListAgents("nowhere")->empty());

  auto found = fx.registry->FindAgentBySerial("01");
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  Registry::AgentRecord expected = Agent("a1", "alpha", "01");
  expected.created_unix_ns = fx.clock.NowUnixNanos();  // 0 on register means now
  CHECK(**found == expected);
  auto none = fx.registry->FindAgentBySerial("ff");
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());

  auto clusters = fx.registry->ListClusters();
  REQUIRE(clusters.ok());
  CHECK(*clusters == std::vector<std::string>{"alpha", "beta"});
}

TEST_CASE("Registry: agent ids and certificate serials are unique, clusters must exist",
          "[unit][registry]") {
  RegistryFixture fx;
  fx.NewToken("alpha");
  REQUIRE(fx.registry->RegisterAgent(Agent("a1", "alpha", "01")).ok());

  Status same_id = fx.registry->RegisterAgent(Agent("a1", "alpha", "02"));
  CHECK(same_id.IsAlreadyExists());
  CHECK(same_id.message().find("an agent with this id is already registered") != std::string::npos);
  Status same_serial = fx.registry->RegisterAgent(Agent("a2", "alpha", "01"));
  CHECK(same_serial.IsAlreadyExists());
  CHECK(same_serial.message().find("certificate serial 01 already belongs to agent a1") !=
        std::string::npos);
  Status unknown_cluster = fx.registry->RegisterAgent(Agent("a3", "gamma", "03"));
  CHECK(unknown_cluster.IsInvalidArgument());
  CHECK(unknown_cluster.message().find("unknown cluster gamma") != std::string::npos);

  auto bad_sha = Agent("a4", "alpha", "04");
  bad_sha.cert_sha256 = "abc";
  CHECK(fx.registry->RegisterAgent(bad_sha).IsInvalidArgument());
  CHECK(fx.registry->RegisterAgent(Agent("", "alpha", "05")).IsInvalidArgument());
  CHECK(fx.registry->RegisterAgent(Agent("x y", "alpha", "06")).IsInvalidArgument());
  auto no_serial = Agent("a7", "alpha", "07");
  no_serial.cert_serial.clear();
  CHECK(fx.registry->RegisterAgent(no_serial).IsInvalidArgument());
  CHECK(fx.registry->ListAgents()->size() == 1);
}

TEST_CASE("Registry: revoking an agent is recorded once; unknown ids are NotFound",
          "[unit][registry]") {
  RegistryFixture fx;
  fx.NewToken("alpha");
  REQUIRE(fx.registry->RegisterAgent(Agent("a1", "alpha", "01")).ok());
  REQUIRE(fx.registry->RegisterAgent(Agent("a2", "alpha", "02")).ok());
  fx.clock.Advance(10 * kSecond);
  const std::int64_t revoked_at = fx.clock.NowUnixNanos();
  REQUIRE(fx.registry->RevokeAgent("a1").ok());
  fx.clock.Advance(10 * kSecond);
  CHECK(fx.registry->RevokeAgent("a1").ok());  // idempotent
  auto a1 = fx.registry->FindAgentBySerial("01");
  REQUIRE(a1.ok());
  REQUIRE(a1->has_value());
  CHECK((*a1)->revoked_unix_ns == revoked_at);  // the first time is kept
  auto a2 = fx.registry->FindAgentBySerial("02");
  REQUIRE(a2.ok());
  CHECK_FALSE((*a2)->revoked_unix_ns.has_value());

  Status unknown = fx.registry->RevokeAgent("nobody");
  CHECK(unknown.IsNotFound());
  CHECK(unknown.message().find("no such agent") != std::string::npos);
}

TEST_CASE("Registry: TouchAgent writes last_seen at most once a minute", "[unit][registry]") {
  RegistryFixture fx;
  fx.NewToken("alpha");
  REQUIRE(fx.registry->RegisterAgent(Agent("a1", "alpha", "01")).ok());
  auto last_seen = [&] {
    auto a = fx.registry->FindAgentBySerial("01");
    REQUIRE(a.ok());
    REQUIRE(a->has_value());
    return (*a)->last_seen_unix_ns;
  };
  CHECK_FALSE(last_seen().has_value());
  const std::int64_t t0 = fx.clock.NowUnixNanos();
  REQUIRE(fx.registry->TouchAgent("a1").ok());
  CHECK(last_seen() == t0);
  fx.clock.Advance(59 * kSecond);
  REQUIRE(fx.registry->TouchAgent("a1").ok());
  CHECK(last_seen() == t0);  // within the minute: not written
  fx.clock.Advance(kSecond);
  REQUIRE(fx.registry->TouchAgent("a1").ok());
  CHECK(last_seen() == t0 + 60 * kSecond);

  CHECK(fx.registry->TouchAgent("nobody").IsNotFound());
}

}  // namespace
}  // namespace cairn
