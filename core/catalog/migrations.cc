#include "core/catalog/migrations.h"

#include <string>

#include "core/catalog/transaction.h"

namespace cairn {
namespace {

// Schema v1, documented column by column in docs/formats.md.
// STRICT tables (SQLite >= 3.37) make SQLite enforce the declared types, so a
// text "12" can never sit where a size belongs.
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE snapshots (
  id              TEXT    NOT NULL PRIMARY KEY CHECK (length(id) > 0),
  name            TEXT    NOT NULL CHECK (length(name) > 0),
  created_unix_ns INTEGER NOT NULL,
  source          TEXT    NOT NULL DEFAULT '',
  hostname        TEXT    NOT NULL DEFAULT '',
  file_count      INTEGER NOT NULL DEFAULT 0 CHECK (file_count >= 0),
  dir_count       INTEGER NOT NULL DEFAULT 0 CHECK (dir_count >= 0),
  bytes_read      INTEGER NOT NULL DEFAULT 0 CHECK (bytes_read >= 0),
  bytes_new       INTEGER NOT NULL DEFAULT 0 CHECK (bytes_new >= 0),
  bytes_stored    INTEGER NOT NULL DEFAULT 0 CHECK (bytes_stored >= 0),
  chunk_count     INTEGER NOT NULL DEFAULT 0 CHECK (chunk_count >= 0),
  manifest_bytes  INTEGER NOT NULL DEFAULT 0 CHECK (manifest_bytes >= 0),
  tags            TEXT    NOT NULL DEFAULT '[]'
) STRICT;
CREATE INDEX snapshots_by_name_created ON snapshots (name, created_unix_ns);

CREATE TABLE chunks (
  id               BLOB    NOT NULL PRIMARY KEY CHECK (length(id) = 32),
  plain_size       INTEGER NOT NULL CHECK (plain_size >= 0),
  stored_size      INTEGER NOT NULL CHECK (stored_size >= 0),
  refcount         INTEGER NOT NULL CHECK (refcount >= 0),
  verified_unix_ns INTEGER
) STRICT, WITHOUT ROWID;

CREATE TABLE meta (
  key   TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL
) STRICT, WITHOUT ROWID;
)sql";

Status ApplySchemaV1(SqliteDb& db) {
  CAIRN_RETURN_IF_ERROR(db.Exec(kSchemaV1));
  return db.Exec("PRAGMA application_id = " + std::to_string(kCatalogApplicationId));
}

std::string Where(const SqliteDb& db) { return "catalog " + db.path().string() + ": "; }

// Refuses files that are not catalogs, and catalogs newer than `latest`.
Status CheckIdentity(SqliteDb& db, int version, int latest) {
  CAIRN_ASSIGN_OR_RETURN(std::int64_t app_id, db.QueryInt("PRAGMA application_id"));
  if (app_id != kCatalogApplicationId) {
    bool empty = app_id == 0 && version == 0;
    if (empty) {
      CAIRN_ASSIGN_OR_RETURN(std::int64_t objects,
                             db.QueryInt("SELECT count(*) FROM sqlite_schema"));
      empty = objects == 0;
    }
    if (!empty) {
      return Status::InvalidArgument(
          Where(db) + "this SQLite file is not a cairn catalog (application_id " +
          std::to_string(app_id) + ", user_version " + std::to_string(version) +
          "); check the path, or move the file aside and run `cairnctl catalog rebuild`");
    }
  }
  if (version > latest) {
    return Status::InvalidArgument(Where(db) + "catalog schema v" + std::to_string(version) +
                                   " is newer than this cairn (knows up to v" +
                                   std::to_string(latest) + "): upgrade cairn");
  }
  return Status::Ok();
}

Status Migrate(SqliteDb& db, std::span<const MigrationStep> steps) {
  for (std::size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].version != static_cast<int>(i) + 1) {
      return Status::InvalidArgument("migration steps must be numbered 1..N in order");
    }
  }
  const int latest = static_cast<int>(steps.size());
  CAIRN_ASSIGN_OR_RETURN(int version, CatalogSchemaVersion(db));
  CAIRN_RETURN_IF_ERROR(CheckIdentity(db, version, latest));
  for (const MigrationStep& step : steps) {
    if (step.version <= version) continue;
    CAIRN_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
    // Re-read under the write lock: another process may have migrated while
    // we waited for it. If so, tx rolls back an empty transaction.
    CAIRN_ASSIGN_OR_RETURN(version, CatalogSchemaVersion(db));
    CAIRN_RETURN_IF_ERROR(CheckIdentity(db, version, latest));
    if (step.version <= version) continue;
    Status s = step.apply(db);
    if (s.ok()) s = db.Exec("PRAGMA user_version = " + std::to_string(step.version));
    if (s.ok()) s = tx.Commit();
    if (!s.ok()) {
      return s.WithContext("migrate catalog schema v" + std::to_string(step.version - 1) + " -> v" +
                           std::to_string(step.version) + " (" + std::string(step.description) +
                           ")");
    }
    version = step.version;
  }
  return Status::Ok();
}

}  // namespace

std::span<const MigrationStep> CatalogMigrations() {
  // Function-local: std::function is not constexpr, and this keeps the list
  // safe to use from other translation units' static initializers.
  static const MigrationStep kSteps[] = {
      {1, "initial schema: snapshots, chunks, meta", ApplySchemaV1},
  };
  return kSteps;
}

int LatestCatalogSchemaVersion() { return static_cast<int>(CatalogMigrations().size()); }

Result<int> CatalogSchemaVersion(SqliteDb& db) {
  CAIRN_ASSIGN_OR_RETURN(std::int64_t v, db.QueryInt("PRAGMA user_version"));
  return static_cast<int>(v);
}

Status MigrateCatalog(SqliteDb& db) { return Migrate(db, CatalogMigrations()); }

Status TEST_MigrateWith(SqliteDb& db, std::span<const MigrationStep> steps) {
  return Migrate(db, steps);
}

}  // namespace cairn
