#include "agent/agent_state.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "core/chunking/chunker.h"
#include "core/crypto/random.h"
#include "tests/support/temp_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

AgentState SampleState() {
  AgentState s;
  s.appliance_url = "https://127.0.0.1:8443";
  s.agent_id = "ag-0123456789abcdef";
  s.cluster = "edge-1";
  s.ca_pem = "-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n";
  s.cert_pem = "-----BEGIN CERTIFICATE-----\nme\n-----END CERTIFICATE-----\n";
  s.key_pem = "-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n";
  s.dedup.pack_below = 1000;
  REQUIRE(FillRandom(s.dedup.id_key.bytes).ok());
  s.dedup.gear_table = GearTableFromSeed(7);
  return s;
}

void Overwrite(const fs::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::trunc);
  f << text;
}

TEST_CASE("AgentState: saved once with secrets 0600, read back whole, never overwritten",
          "[unit][agent]") {
  TempDir dir;
  const fs::path state_dir = dir.path() / "state";
  const AgentState s = SampleState();
  REQUIRE(s.SaveNew(state_dir).ok());
  for (const char* secret : {"agent.key", "dedup.json"}) {
    const auto perms = fs::status(state_dir / secret).permissions();
    CHECK((perms & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none);
  }
  auto back = AgentState::Load(state_dir);
  REQUIRE(back.ok());
  CHECK(back->agent_id == s.agent_id);
  CHECK(back->cluster == s.cluster);
  CHECK(back->key_pem == s.key_pem);
  CHECK(back->dedup.id_key == s.dedup.id_key);
  CHECK(back->dedup.gear_table == s.dedup.gear_table);
  auto again = s.SaveNew(state_dir);
  REQUIRE_FALSE(again.ok());
  CHECK(again.IsAlreadyExists());
}

TEST_CASE("AgentState: a missing or damaged state says what is wrong and what to do",
          "[unit][agent]") {
  TempDir dir;
  auto none = AgentState::Load(dir.path() / "nothing");
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().IsNotFound());
  CHECK(none.error().message().find("cairn-agent enroll") != std::string::npos);

  const fs::path state_dir = dir.path() / "state";
  REQUIRE(SampleState().SaveNew(state_dir).ok());
  Overwrite(state_dir / "agent.json", "{\"version\": 9, \"appliance\": \"x\"}");
  auto newer = AgentState::Load(state_dir);
  REQUIRE_FALSE(newer.ok());
  CHECK(newer.error().message().find("version") != std::string::npos);

  Overwrite(state_dir / "agent.json", "not json");
  CHECK_FALSE(AgentState::Load(state_dir).ok());

  Overwrite(state_dir / "agent.json",
            "{\"version\": 1, \"appliance\": \"https://a:1\", \"agent_id\": 5, \"cluster\": \"c\"}");
  auto typed = AgentState::Load(state_dir);
  REQUIRE_FALSE(typed.ok());
  CHECK(typed.error().message().find("agent_id") != std::string::npos);

  Overwrite(state_dir / "agent.json",
            "{\"version\": 1, \"appliance\": \"https://a:1\", \"agent_id\": \"a\", \"cluster\": \"c\"}");
  Overwrite(state_dir / "dedup.json", "{\"chunker\": {}}");
  auto dedup = AgentState::Load(state_dir);
  REQUIRE_FALSE(dedup.ok());
  CHECK(dedup.error().message().find("dedup.json") != std::string::npos);
}

}  // namespace
}  // namespace cairn
