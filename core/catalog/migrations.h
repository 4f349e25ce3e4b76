// Versioned schema migrations for the catalog.
//
// The schema version lives in SQLite's header field PRAGMA user_version
// (0 = empty file). CatalogMigrations() is an ordered list of steps; step k
// takes the schema from version k-1 to k. Each step runs inside its own
// BEGIN IMMEDIATE transaction together with the user_version bump, so a step
// that fails midway leaves the catalog at the previous version, and two
// processes opening the same catalog at once migrate it exactly once.
//
// Rules for adding a step (docs/formats.md): append, never edit a
// released step; bump the documented version; add a test that opens a
// catalog at the previous version.
//
// The file is also stamped with PRAGMA application_id = kCatalogApplicationId
// (in step 1) so that some other SQLite file is refused instead of being
// "migrated".
//
// Thread-safety: functions of the SqliteDb passed in; same rules as it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "core/base/status.h"
#include "core/catalog/sqlite_db.h"

namespace cairn {

// "Crn1" in ASCII: marks a SQLite file as a Cairn catalog.
inline constexpr std::int32_t kCatalogApplicationId = 0x43726e31;

struct MigrationStep {
  int version;  // user_version once this step has been applied
  std::string_view description;
  // Runs inside the step's transaction; must not BEGIN/COMMIT itself.
  std::function<Status(SqliteDb&)> apply;
};

// The catalog's steps, versions 1..LatestCatalogSchemaVersion() in order.
std::span<const MigrationStep> CatalogMigrations();
int LatestCatalogSchemaVersion();

// PRAGMA user_version of the open file.
Result<int> CatalogSchemaVersion(SqliteDb& db);

// Brings `db` to the latest schema. A file at a newer version than this
// binary knows is InvalidArgument ("... upgrade cairn"); a SQLite file that is
// not a catalog is InvalidArgument too. A catalog already at the latest
// version is not written to.
Status MigrateCatalog(SqliteDb& db);

// MigrateCatalog with a caller-supplied step list (versions must be 1..N in
// order), so tests can append a step that fails midway.
Status TEST_MigrateWith(SqliteDb& db, std::span<const MigrationStep> steps);

}  // namespace cairn

namespace cairn {

// Opens a second connection to an existing, already migrated catalog for a
// subsystem that keeps its own tables there (the appliance registry, the
// replication engine). It never creates or migrates: Catalog::Open, run when
// the store is opened, is the one place that changes the schema. `who` names
// the subsystem in messages ("registry", "replication"); `min_version` is
// the schema that brought its tables. NotFound (no file), InvalidArgument
// (not a catalog, too old, too new -- each saying what to do), or what
// SqliteDb::Open reports.
Result<std::unique_ptr<SqliteDb>> OpenMigratedCatalog(const std::filesystem::path& catalog_db,
                                                      int min_version, std::string_view who);

}  // namespace cairn
