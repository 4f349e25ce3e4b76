#include <catch2/catch.hpp>
#include <fstream>

#include "appliance/registry/registry.h"
#include "core/engine/catalog_rebuild.h"
#include "core/store/store.h"
#include "tests/support/temp_dir.h"

namespace cairn {
namespace {

TEST_CASE("Catalog rebuild keeps the appliance registry (agents, tokens, audit) of the old catalog",
          "[integration][registry]") {
  TempDir dir;
  const auto store_dir = dir.path() / "store";
  REQUIRE(Store::Init(DefaultFileSystem(), store_dir, dir.path() / "key", StoreOptions{}).ok());
  KeySource key;
  key.key_file = dir.path() / "key";
  std::string api_token;
  {
    auto store = Store::Open(DefaultFileSystem(), store_dir, key);
    REQUIRE(store.ok());
    auto reg = Registry::Open((*store)->catalog().path(), DefaultClock());
    REQUIRE(reg.ok());
    REQUIRE((*reg)->CreateEnrollmentToken("edge-1", std::chrono::hours(1), std::string(64, 'a'), "t")
                .ok());
    Registry::AgentRecord agent;
    agent.id = "ag-1";
    agent.cluster = "edge-1";
    agent.common_name = "ag-1";
    agent.cert_serial = "abc";
    agent.cert_sha256 = std::string(64, 'b');
    REQUIRE((*reg)->RegisterAgent(agent).ok());
    auto tok = (*reg)->CreateApiToken("ops", Role::kOperator);
    REQUIRE(tok.ok());
    api_token = tok->second;
    REQUIRE((*reg)->Audit("test", "thing.do", "x", "ok").ok());
  }
  {
    auto store = Store::Open(DefaultFileSystem(), store_dir, key, /*fresh_catalog=*/true);
    REQUIRE(store.ok());
    CHECK((*store)->open_warnings().empty());
    REQUIRE(RebuildCatalog(**store).ok());
  }
  auto store = Store::Open(DefaultFileSystem(), store_dir, key);
  REQUIRE(store.ok());
  auto reg = Registry::Open((*store)->catalog().path(), DefaultClock());
  REQUIRE(reg.ok());
  auto agents = (*reg)->ListAgents();
  REQUIRE(agents.ok());
  REQUIRE(agents->size() == 1);
  CHECK((*agents)[0].id == "ag-1");
  CHECK((*reg)->AuthenticateApiToken(api_token).ok());
  auto audit = (*reg)->ListAudit(0, 10);
  REQUIRE(audit.ok());
  REQUIRE_FALSE(audit->empty());
  CHECK(audit->back().action == "thing.do");
}

TEST_CASE("Catalog rebuild over a damaged old catalog still opens, and says the registry was lost",
          "[integration][registry]") {
  TempDir dir;
  const auto store_dir = dir.path() / "store";
  REQUIRE(Store::Init(DefaultFileSystem(), store_dir, dir.path() / "key", StoreOptions{}).ok());
  {
    std::ofstream garbage(store_dir / "catalog.db", std::ios::binary | std::ios::trunc);
    garbage << std::string(8192, 'x');
  }
  KeySource key;
  key.key_file = dir.path() / "key";
  auto store = Store::Open(DefaultFileSystem(), store_dir, key, /*fresh_catalog=*/true);
  REQUIRE(store.ok());
  REQUIRE((*store)->open_warnings().size() == 1);
  CHECK((*store)->open_warnings()[0].find("enroll again") != std::string::npos);
  CHECK(RebuildCatalog(**store).ok());
}

}  // namespace
}  // namespace cairn
