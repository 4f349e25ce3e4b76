#include "core/catalog/migrations.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/catalog/catalog.h"
#include "core/catalog/sqlite_db.h"
#include "tests/support/temp_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;


std::unique_ptr<SqliteDb> OpenOrDie(const fs::path& path) {
  auto db = SqliteDb::Open(path);
  INFO(db.status().ToString());
  REQUIRE(db.ok());
  return std::move(db).value();
}

std::int64_t Query(SqliteDb& db, const std::string& sql) {
  auto v = db.QueryInt(sql);
  INFO(sql << ": " << v.status().ToString());
  REQUIRE(v.ok());
  return *v;
}

bool HasTable(SqliteDb& db, const std::string& name) {
  return Query(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '" + name +
                       "'") == 1;
}

TEST_CASE("Migrations: an empty database is migrated to the latest schema", "[unit]") {
  TempDir dir;
  auto db = OpenOrDie(dir.path() / "catalog.db");
  REQUIRE(*CatalogSchemaVersion(*db) == 0);
  Status s = MigrateCatalog(*db);
  INFO(s.ToString());
  REQUIRE(s.ok());
  CHECK(*CatalogSchemaVersion(*db) == LatestCatalogSchemaVersion());
  CHECK(LatestCatalogSchemaVersion() == 5);
  CHECK(Query(*db, "PRAGMA application_id") == kCatalogApplicationId);
  CHECK(HasTable(*db, "snapshots"));
  CHECK(HasTable(*db, "chunks"));
  CHECK(HasTable(*db, "meta"));
  for (const char* table :
       {"clusters", "enrollment_tokens", "agents", "api_tokens", "audit_log", "schedules",
        "replication_targets", "replica_snapshots", "replica_chunks", "target_events",
        "pairing_tokens", "replica_peers", "retention_policies", "snapshot_checks",
        "quarantined_chunks", "gc_runs"}) {
    INFO(table);
    CHECK(HasTable(*db, table));
  }
  CHECK(Query(*db,
              "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND "
              "name = 'snapshots_by_name_created'") == 1);
  CHECK(Query(*db,
              "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND "
              "name = 'snapshots_by_cluster_name_created'") == 1);
}

TEST_CASE("Migrations: the step list is numbered 1..N and every step is described", "[unit]") {
  auto steps = CatalogMigrations();
  REQUIRE(static_cast<int>(steps.size()) == LatestCatalogSchemaVersion());
  for (std::size_t i = 0; i < steps.size(); ++i) {
    CHECK(steps[i].version == static_cast<int>(i) + 1);
    CHECK_FALSE(steps[i].description.empty());
    CHECK(steps[i].apply);
  }
}

TEST_CASE("Migrations: a catalog at the latest version is not written to", "[unit]") {
  TempDir dir;
  const fs::path path = dir.path() / "catalog.db";
  auto migrator = OpenOrDie(path);
  REQUIRE(MigrateCatalog(*migrator).ok());

  // PRAGMA data_version changes on a connection when any *other* connection
  // commits; an unchanged value proves the second migration wrote nothing.
  auto watcher = OpenOrDie(path);
  const std::int64_t before = Query(*watcher, "PRAGMA data_version");
  auto again = OpenOrDie(path);
  REQUIRE(MigrateCatalog(*again).ok());
  CHECK(Query(*watcher, "PRAGMA data_version") == before);

  // The same through the step list: a step at or below the current version
  // never runs.
  int ran = 0;
  std::vector<MigrationStep> steps(CatalogMigrations().begin(), CatalogMigrations().end());
  steps[0].apply = [&ran](SqliteDb&) {
    ++ran;
    return Status::IoError("must not run");
  };
  CHECK(TEST_MigrateWith(*again, steps).ok());
  CHECK(ran == 0);
  CHECK(Query(*watcher, "PRAGMA data_version") == before);

  // A sanity check that the watcher does notice a real write.
  REQUIRE(again->Exec("INSERT INTO meta (key, value) VALUES ('k', 'v')").ok());
  CHECK(Query(*watcher, "PRAGMA data_version") != before);
}

TEST_CASE("Migrations: a catalog newer than this cairn is refused with an upgrade hint", "[unit]") {
  TempDir dir;
  const fs::path path = dir.path() / "catalog.db";
  {
    auto db = OpenOrDie(path);
    REQUIRE(MigrateCatalog(*db).ok());
    const int future = LatestCatalogSchemaVersion() + 1;
    REQUIRE(db->Exec("PRAGMA user_version = " + std::to_string(future)).ok());
  }
  const std::string expected = "catalog schema v" +
                               std::to_string(LatestCatalogSchemaVersion() + 1) +
                               " is newer than this cairn (knows up to v" +
                               std::to_string(LatestCatalogSchemaVersion()) + "): upgrade cairn";
  auto db = OpenOrDie(path);
  Status s = MigrateCatalog(*db);
  CHECK(s.IsInvalidArgument());
  CHECK(s.message().find(expected) != std::string::npos);

  auto catalog = Catalog::Open(path);
  REQUIRE_FALSE(catalog.ok());
  CHECK(catalog.error().IsInvalidArgument());
  CHECK(catalog.error().message().find(expected) != std::string::npos);
  CHECK(*CatalogSchemaVersion(*db) == LatestCatalogSchemaVersion() + 1);  // left alone
}

TEST_CASE("Migrations: a step that fails midway leaves the catalog at the previous version",
          "[unit][fault]") {
  TempDir dir;
  auto db = OpenOrDie(dir.path() / "catalog.db");
  std::vector<MigrationStep> steps(CatalogMigrations().begin(), CatalogMigrations().end());
  const int v_prev = static_cast<int>(steps.size());
  // A step that does real work, then fails before it finishes.
  steps.push_back({v_prev + 1, "test: add a table, then fail", [](SqliteDb& d) {
                     Status s = d.Exec("CREATE TABLE extra (x INTEGER)");
                     if (s.ok())
                       s = d.Exec("INSERT INTO meta (key, value) VALUES ('half', 'done')");
                     if (s.ok()) s = Status::IoError("injected failure in the middle of a step");
                     return s;
                   }});

  Status s = TEST_MigrateWith(*db, steps);
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == Status::Code::kIoError);
  CHECK(s.message().find("v" + std::to_string(v_prev) + " -> v" + std::to_string(v_prev + 1)) !=
        std::string::npos);
  // Earlier steps committed; the failed one left nothing behind.
  CHECK(*CatalogSchemaVersion(*db) == v_prev);
  CHECK(HasTable(*db, "snapshots"));
  CHECK_FALSE(HasTable(*db, "extra"));
  CHECK(Query(*db, "SELECT count(*) FROM meta") == 0);
  CHECK_FALSE(db->in_transaction());

  // With the step fixed, the next open finishes the job.
  steps.back().apply = [](SqliteDb& d) { return d.Exec("CREATE TABLE extra (x INTEGER)"); };
  REQUIRE(TEST_MigrateWith(*db, steps).ok());
  CHECK(*CatalogSchemaVersion(*db) == v_prev + 1);
  CHECK(HasTable(*db, "extra"));
}

TEST_CASE("Migrations: steps run in order and each is recorded in user_version", "[unit]") {
  TempDir dir;
  auto db = OpenOrDie(dir.path() / "catalog.db");
  std::vector<int> seen;  // user_version as each step sees it
  std::vector<MigrationStep> steps(CatalogMigrations().begin(), CatalogMigrations().end());
  const int latest = static_cast<int>(steps.size());
  for (int v = latest + 1; v <= latest + 3; ++v) {
    steps.push_back({v, "test: record", [&seen](SqliteDb& d) {
                       auto version = CatalogSchemaVersion(d);
                       if (!version.ok()) return version.status();
                       seen.push_back(*version);
                       return Status::Ok();
                     }});
  }
  REQUIRE(TEST_MigrateWith(*db, steps).ok());
  CHECK(seen == std::vector<int>{latest, latest + 1, latest + 2});
  CHECK(*CatalogSchemaVersion(*db) == latest + 3);
  // Out-of-order lists are a programming error, refused before any work.
  std::swap(steps[1], steps[2]);
  CHECK(TEST_MigrateWith(*db, steps).IsInvalidArgument());
}

TEST_CASE("Migrations: a SQLite file that is not a catalog is refused and not migrated", "[unit]") {
  TempDir dir;
  const fs::path path = dir.path() / "other.db";
  auto db = OpenOrDie(path);
  REQUIRE(db->Exec("CREATE TABLE photos (id INTEGER)").ok());
  Status s = MigrateCatalog(*db);
  CHECK(s.IsInvalidArgument());
  CHECK(s.message().find("not a cairn catalog") != std::string::npos);
  CHECK_FALSE(HasTable(*db, "snapshots"));

  REQUIRE(db->Exec("PRAGMA application_id = 1234; PRAGMA user_version = 1").ok());
  CHECK(MigrateCatalog(*db).IsInvalidArgument());
  CHECK(Catalog::Open(path).status().IsInvalidArgument());
}

TEST_CASE("Migrations: a v1 catalog with a snapshot migrates to v2 and keeps the row, cluster ''",
          "[unit]") {
  TempDir dir;
  const fs::path path = dir.path() / "catalog.db";
  {
    // A catalog exactly as a v1 binary left it: only step 1, and a row.
    auto db = OpenOrDie(path);
    REQUIRE(TEST_MigrateWith(*db, CatalogMigrations().first(1)).ok());
    REQUIRE(*CatalogSchemaVersion(*db) == 1);
    REQUIRE_FALSE(HasTable(*db, "agents"));
    REQUIRE(db->Exec("INSERT INTO snapshots (id, name, created_unix_ns, source, hostname, "
                     "file_count, bytes_read, tags) VALUES ('aa11', 'web01:/etc', 42, '/etc', "
                     "'web01', 7, 1234, '[\"daily\"]')")
                .ok());
  }
  auto catalog = Catalog::Open(path);
  INFO(catalog.status().ToString());
  REQUIRE(catalog.ok());
  auto listed = (*catalog)->ListSnapshots();
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 1);
  const SnapshotRecord& r = listed->front();
  CHECK(r.id == "aa11");
  CHECK(r.name == "web01:/etc");
  CHECK(r.created_unix_ns == 42);
  CHECK(r.file_count == 7);
  CHECK(r.bytes_read == 1234);
  CHECK(r.tags == std::vector<std::string>{"daily"});

  auto db = OpenOrDie(path);
  CHECK(*CatalogSchemaVersion(*db) == LatestCatalogSchemaVersion());
  CHECK(Query(*db, "SELECT count(*) FROM snapshots WHERE id = 'aa11' AND cluster = ''") == 1);
  CHECK(HasTable(*db, "clusters"));
  CHECK(HasTable(*db, "agents"));
  CHECK(HasTable(*db, "audit_log"));
  // The new tables' CHECK constraints hold: a role outside the three, an
  // audit detail that is not a JSON object, and an agent of an unknown
  // cluster (foreign key) are refused by SQLite itself.
  CHECK_FALSE(db->Exec("INSERT INTO api_tokens (id, name, role, secret_sha256, created_unix_ns) "
                       "VALUES ('0123456789abcdef', 'n', 'root', zeroblob(32), 1)")
                  .ok());
  CHECK(db->Exec("INSERT INTO api_tokens (id, name, role, secret_sha256, created_unix_ns) "
                 "VALUES ('0123456789abcdef', 'n', 'auditor', zeroblob(32), 1)")
            .ok());
  CHECK_FALSE(db->Exec("INSERT INTO audit_log (at_unix_ns, actor, action, outcome, detail) "
                       "VALUES (1, 'a', 'x', 'ok', '[1]')")
                  .ok());
  CHECK_FALSE(db->Exec("INSERT INTO audit_log (at_unix_ns, actor, action, outcome, detail) "
                       "VALUES (1, 'a', 'x', 'maybe', '{}')")
                  .ok());
  CHECK(db->Exec("INSERT INTO audit_log (at_unix_ns, actor, action, outcome, detail) "
                 "VALUES (1, 'a', 'x', 'ok', '{\"k\":1}')")
            .ok());
  CHECK_FALSE(db->Exec("INSERT INTO agents (id, cluster, common_name, cert_serial, cert_sha256, "
                       "created_unix_ns, cert_not_after_unix) VALUES ('a1', 'nowhere', 'cn', "
                       "'01', printf('%064d', 0), 1, 2)")
                  .ok());
}

}  // namespace
TEST_CASE("Migrations: a v4 catalog migrates to v5; its snapshots are unlocked and listed",
          "[unit]") {
  TempDir dir;
  const fs::path path = dir.path() / "catalog.db";
  {
    auto db = OpenOrDie(path);
    REQUIRE(TEST_MigrateWith(*db, CatalogMigrations().first(4)).ok());
    REQUIRE(db->Exec("INSERT INTO snapshots (id, name, created_unix_ns) VALUES ('bb22', 'n', 7)")
                .ok());
    REQUIRE(db->Exec("INSERT INTO replication_targets (name, kind, spec, created_unix_ns, "
                     "updated_unix_ns) VALUES ('t', 'directory', '{}', 1, 1)")
                .ok());
    REQUIRE(db->Exec("INSERT INTO replica_chunks (target, chunk_id) VALUES ('t', zeroblob(32))")
                .ok());
  }
  auto catalog = Catalog::Open(path);
  INFO(catalog.status().ToString());
  REQUIRE(catalog.ok());
  auto listed = (*catalog)->ListSnapshots();
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 1);
  CHECK(listed->front().lock_until_unix_ns == 0);
  auto db = OpenOrDie(path);
  CHECK(Query(*db, "SELECT retain_until_unix_ns FROM replica_chunks") == 0);
  // The new CHECKs hold: a negative lock, a deleting flag other than 0/1, a
  // policy that is not a JSON object.
  CHECK_FALSE(db->Exec("UPDATE snapshots SET lock_until_unix_ns = -1").ok());
  CHECK_FALSE(db->Exec("UPDATE snapshots SET deleting = 2").ok());
  CHECK_FALSE(db->Exec("INSERT INTO retention_policies (cluster, policy, updated_unix_ns) "
                       "VALUES ('c', '[1]', 1)")
                  .ok());
}

}  // namespace cairn
