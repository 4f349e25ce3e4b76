// Registry schedules (schema v3) and the v2 -> v3 migration.
#include <catch2/catch.hpp>

#include "core/catalog/migrations.h"
#include "core/catalog/sqlite_db.h"
#include "tests/appliance/registry/registry_fixture.h"

namespace cairn {
namespace {

using json = nlohmann::json;

bool Has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST_CASE("Registry schedules: set creates then replaces, list is per cluster, remove deletes",
          "[unit]") {
  RegistryFixture f;
  f.NewToken("edge");
  f.NewToken("core");
  auto created = f.registry->PutSchedule("edge", "hourly", "0 * * * *", "resources",
                                         {{"exclude_namespaces", {"kube-system"}}});
  INFO(created.status().ToString());
  REQUIRE(created.ok());
  CHECK(created->second);
  CHECK(created->first.cluster == "edge");
  CHECK(json::parse(created->first.options_json) ==
        json{{"exclude_namespaces", {"kube-system"}}});
  const std::int64_t first_created = created->first.created_unix_ns;

  f.clock.Advance(5'000'000'000);
  auto replaced = f.registry->PutSchedule("edge", "hourly", "*/30 * * * *", "resources", json::object());
  REQUIRE(replaced.ok());
  CHECK_FALSE(replaced->second);
  CHECK(replaced->first.cron == "*/30 * * * *");
  CHECK(replaced->first.options_json == "{}");
  CHECK(replaced->first.created_unix_ns == first_created);
  CHECK(replaced->first.updated_unix_ns == first_created + 5'000'000'000);

  REQUIRE(f.registry->PutSchedule("edge", "data", "@daily", "directory", {{"path", "/data"}}).ok());
  REQUIRE(f.registry->PutSchedule("core", "vols", "0 2 * * *", "volumes", json::object()).ok());

  auto edge = f.registry->ListSchedules("edge");
  REQUIRE(edge.ok());
  REQUIRE(edge->size() == 2);
  CHECK((*edge)[0].name == "data");
  CHECK((*edge)[1].name == "hourly");
  auto all = f.registry->ListSchedules();
  REQUIRE(all.ok());
  CHECK(all->size() == 3);
  CHECK(all->front().cluster == "core");
  // Another connection sees the same rows.
  CHECK(*f.OpenAnother()->ListSchedules() == *all);

  REQUIRE(f.registry->DeleteSchedule("edge", "data").ok());
  CHECK(f.registry->ListSchedules("edge")->size() == 1);
  Status again = f.registry->DeleteSchedule("edge", "data");
  CHECK(again.IsNotFound());
  CHECK(Has(again.message(), "schedule list"));
  // A name in one cluster is not the same schedule in another.
  CHECK(f.registry->DeleteSchedule("core", "hourly").IsNotFound());
}

TEST_CASE("Registry schedules: bad input is refused with what is allowed", "[unit]") {
  RegistryFixture f;
  f.NewToken("edge");
  auto put = [&](std::string cluster, std::string name, std::string cron, std::string kind,
                 json options) {
    auto r = f.registry->PutSchedule(cluster, name, cron, kind, options);
    INFO(cluster << " " << name << " " << cron << " " << kind << " " << options.dump());
    REQUIRE_FALSE(r.ok());
    return r.error();
  };
  Status st = put("nowhere", "a", "@daily", "resources", json::object());
  CHECK(st.IsNotFound());
  CHECK(Has(st.message(), "token create"));
  CHECK(put("Bad_Cluster", "a", "@daily", "resources", json::object()).IsInvalidArgument());
  CHECK(Has(put("edge", "../x", "@daily", "resources", json::object()).message(), "schedule name"));
  CHECK(Has(put("edge", "a", "* * *", "resources", json::object()).message(), "got 3"));
  CHECK(Has(put("edge", "a", "@reboot", "resources", json::object()).message(), "unknown macro"));
  CHECK(Has(put("edge", "a", "0 * * * ; rm", "resources", json::object()).message(), "character"));
  CHECK(Has(put("edge", "a", "@daily", "pods", json::object()).message(),
            "resources, volumes or directory"));
  CHECK(Has(put("edge", "a", "@daily", "volumes", {{"path", "/x"}}).message(),
            "not an option of kind volumes"));
  CHECK(Has(put("edge", "a", "@daily", "directory", json::object()).message(), "absolute path"));
  CHECK(Has(put("edge", "a", "@daily", "directory", {{"path", "rel"}}).message(), "absolute path"));
  CHECK(Has(put("edge", "a", "@daily", "resources", {{"include_namespaces", "web"}}).message(),
            "list of names"));
  CHECK(Has(put("edge", "a", "@daily", "resources", {{"selector", 3}}).message(), "a string"));
  CHECK(put("edge", "a", "@daily", "resources", json::array()).IsInvalidArgument());
  CHECK(f.registry->ListSchedules()->empty());
}

TEST_CASE("Registry schedules: a cluster holds at most kMaxSchedulesPerCluster", "[unit]") {
  RegistryFixture f;
  f.NewToken("edge");
  for (std::size_t i = 0; i < Registry::kMaxSchedulesPerCluster; ++i) {
    REQUIRE(f.registry->PutSchedule("edge", "s" + std::to_string(i), "@daily", "volumes",
                                    json::object())
                .ok());
  }
  auto over = f.registry->PutSchedule("edge", "one-more", "@daily", "volumes", json::object());
  REQUIRE_FALSE(over.ok());
  CHECK(Has(over.error().message(), "remove one first"));
  // Replacing an existing one is still allowed.
  CHECK(f.registry->PutSchedule("edge", "s0", "@hourly", "volumes", json::object()).ok());
}

TEST_CASE("Migrations: a v2 catalog with registry rows migrates to the latest schema and keeps them", "[unit]") {
  TempDir dir;
  const auto path = dir.path() / "catalog.db";
  {
    // A catalog as a v2 binary left it: steps 1 and 2, a cluster, an agent
    // and an audit entry.
    SqliteOpenOptions options;
    auto db = SqliteDb::Open(path, options);
    REQUIRE(db.ok());
    REQUIRE(TEST_MigrateWith(**db, CatalogMigrations().first(2)).ok());
    REQUIRE(*CatalogSchemaVersion(**db) == 2);
    REQUIRE((*db)->Exec("INSERT INTO clusters (name, created_unix_ns) VALUES ('edge', 1);"
                        "INSERT INTO agents (id, cluster, common_name, cert_serial, cert_sha256, "
                        "created_unix_ns, cert_not_after_unix) VALUES ('ag-1', 'edge', 'ag-1', "
                        "'0a', '" + std::string(64, 'f') + "', 2, 3);"
                        "INSERT INTO audit_log (at_unix_ns, actor, action, outcome) VALUES "
                        "(4, 'local:init', 'init', 'ok');")
                .ok());
    REQUIRE((*db)->QueryInt("SELECT count(*) FROM sqlite_schema WHERE name = 'schedules'").ok());
    CHECK(*(*db)->QueryInt("SELECT count(*) FROM sqlite_schema WHERE name = 'schedules'") == 0);
  }
  auto catalog = Catalog::Open(path);  // migrates, as the appliance does
  INFO(catalog.status().ToString());
  REQUIRE(catalog.ok());
  FakeClock clock;
  auto registry = Registry::Open(path, clock);
  REQUIRE(registry.ok());
  auto agents = (*registry)->ListAgents();
  REQUIRE(agents.ok());
  REQUIRE(agents->size() == 1);
  CHECK(agents->front().id == "ag-1");
  CHECK(*(*registry)->ListClusters() == std::vector<std::string>{"edge"});
  auto audit = (*registry)->ListAudit(0, 10);
  REQUIRE(audit.ok());
  CHECK(audit->size() == 1);
  // The new table works on the migrated file.
  CHECK((*registry)->ListSchedules()->empty());
  CHECK((*registry)->PutSchedule("edge", "daily", "@daily", "resources", json::object()).ok());
  auto db = SqliteDb::Open(path, SqliteOpenOptions{});
  REQUIRE(db.ok());
  CHECK(*CatalogSchemaVersion(**db) == LatestCatalogSchemaVersion());
  // The schema's own checks hold: an unknown kind or cluster is refused by SQLite.
  CHECK_FALSE((*db)->Exec("INSERT INTO schedules (cluster, name, cron, kind, created_unix_ns, "
                          "updated_unix_ns) VALUES ('edge', 'x', '@daily', 'pods', 1, 1)")
                  .ok());
  CHECK_FALSE((*db)->Exec("INSERT INTO schedules (cluster, name, cron, kind, created_unix_ns, "
                          "updated_unix_ns) VALUES ('nope', 'x', '@daily', 'volumes', 1, 1)")
                  .ok());
}

}  // namespace
}  // namespace cairn
