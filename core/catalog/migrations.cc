#include "core/catalog/migrations.h"

#include <memory>
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

// Schema v2: the appliance's registry (appliance/registry) and the cluster an
// agent snapshot belongs to. Documented in docs/formats.md.
//
// snapshots.cluster is added with a constant default, which SQLite records in
// the schema without rewriting existing rows: a v1 catalog of any size
// migrates in constant time, and its local-mode snapshots read back as
// cluster ''. Identity tables are WITHOUT ROWID (small rows keyed by a text
// id, as `chunks` is keyed by its blob id). Foreign keys tie agents and
// enrollment tokens to a known cluster (connections run foreign_keys=ON).
constexpr std::string_view kSchemaV2 = R"sql(
ALTER TABLE snapshots ADD COLUMN cluster TEXT NOT NULL DEFAULT '';
CREATE INDEX snapshots_by_cluster_name_created ON snapshots (cluster, name, created_unix_ns);

CREATE TABLE clusters (
  name            TEXT    NOT NULL PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 63),
  created_unix_ns INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE enrollment_tokens (
  id              TEXT    NOT NULL PRIMARY KEY CHECK (length(id) = 16),
  secret_sha256   BLOB    NOT NULL CHECK (length(secret_sha256) = 32),
  cluster         TEXT    NOT NULL REFERENCES clusters (name),
  created_unix_ns INTEGER NOT NULL,
  expires_unix_ns INTEGER NOT NULL CHECK (expires_unix_ns > created_unix_ns),
  used_unix_ns    INTEGER,
  used_by_agent   TEXT,
  created_by      TEXT    NOT NULL DEFAULT '',
  CHECK ((used_unix_ns IS NULL) = (used_by_agent IS NULL))
) STRICT, WITHOUT ROWID;

CREATE TABLE agents (
  id                  TEXT    NOT NULL PRIMARY KEY CHECK (length(id) > 0),
  cluster             TEXT    NOT NULL REFERENCES clusters (name),
  common_name         TEXT    NOT NULL,
  cert_serial         TEXT    NOT NULL UNIQUE CHECK (length(cert_serial) > 0),
  cert_sha256         TEXT    NOT NULL CHECK (length(cert_sha256) = 64),
  created_unix_ns     INTEGER NOT NULL,
  cert_not_after_unix INTEGER NOT NULL,
  revoked_unix_ns     INTEGER,
  last_seen_unix_ns   INTEGER
) STRICT, WITHOUT ROWID;
CREATE INDEX agents_by_cluster ON agents (cluster, created_unix_ns);

CREATE TABLE api_tokens (
  id                TEXT    NOT NULL PRIMARY KEY CHECK (length(id) = 16),
  name              TEXT    NOT NULL CHECK (length(name) > 0),
  role              TEXT    NOT NULL CHECK (role IN ('admin', 'operator', 'auditor')),
  secret_sha256     BLOB    NOT NULL CHECK (length(secret_sha256) = 32),
  created_unix_ns   INTEGER NOT NULL,
  revoked_unix_ns   INTEGER,
  last_used_unix_ns INTEGER
) STRICT, WITHOUT ROWID;

CREATE TABLE audit_log (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  at_unix_ns INTEGER NOT NULL,
  actor      TEXT    NOT NULL,
  action     TEXT    NOT NULL CHECK (length(action) > 0),
  target     TEXT    NOT NULL DEFAULT '',
  outcome    TEXT    NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed')),
  detail     TEXT    NOT NULL DEFAULT '{}'
             CHECK (CASE WHEN json_valid(detail) THEN json_type(detail) = 'object' ELSE 0 END)
) STRICT;
)sql";

Status ApplySchemaV2(SqliteDb& db) { return db.Exec(kSchemaV2); }

// Schema v3: backup schedules the appliance hands to its agents
// (appliance/registry, GET /v1/agent/schedules). Documented in
// docs/formats.md. One row per (cluster, name); `options` is the kind's
// options as a JSON object. The cron text is checked by the agent that runs
// it; here only its size is bounded.
constexpr std::string_view kSchemaV3 = R"sql(
CREATE TABLE schedules (
  cluster         TEXT    NOT NULL REFERENCES clusters (name),
  name            TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
  cron            TEXT    NOT NULL CHECK (length(cron) BETWEEN 1 AND 256),
  kind            TEXT    NOT NULL CHECK (kind IN ('resources', 'volumes', 'directory')),
  options         TEXT    NOT NULL DEFAULT '{}'
                  CHECK (CASE WHEN json_valid(options) THEN json_type(options) = 'object' ELSE 0 END),
  created_unix_ns INTEGER NOT NULL,
  updated_unix_ns INTEGER NOT NULL,
  PRIMARY KEY (cluster, name)
) STRICT, WITHOUT ROWID;
)sql";

Status ApplySchemaV3(SqliteDb& db) { return db.Exec(kSchemaV3); }

// Schema v4: replication (sync/, issue 5). Documented in docs/formats.md.
//  - replication_targets: where this appliance sends its replicas; `spec` is
//    the target's settings as a JSON object (sync/target/target_spec.h), never
//    a secret (S3 credentials are named by file path).
//  - replica_snapshots: the snapshots a target holds whole (manifest last).
//  - replica_chunks: the chunks a target is known to hold; written as each
//    upload is acknowledged, so a cut link or a restart resumes without
//    resending them.
//  - target_events: the WAN monitor's state changes per target (history).
//  - pairing_tokens / replica_peers: the other direction -- appliances that
//    replicate INTO this one (appliance/registry, registry_peers.cc): one-time
//    pairing tokens (secret stored as SHA-256), and each paired peer with its
//    client certificate, and the objects and bytes it holds here (a running
//    sum kept by the replica routes, so listing peers never walks the disk).
constexpr std::string_view kSchemaV4 = R"sql(
CREATE TABLE replication_targets (
  name            TEXT    NOT NULL PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 63),
  kind            TEXT    NOT NULL CHECK (kind IN ('s3', 'appliance', 'directory')),
  spec            TEXT    NOT NULL
                  CHECK (CASE WHEN json_valid(spec) THEN json_type(spec) = 'object' ELSE 0 END),
  created_unix_ns INTEGER NOT NULL,
  updated_unix_ns INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE replica_snapshots (
  target             TEXT    NOT NULL REFERENCES replication_targets (name) ON DELETE CASCADE,
  snapshot_id        TEXT    NOT NULL,
  replicated_unix_ns INTEGER NOT NULL,
  bytes_sent         INTEGER NOT NULL CHECK (bytes_sent >= 0),
  PRIMARY KEY (target, snapshot_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE replica_chunks (
  target   TEXT NOT NULL REFERENCES replication_targets (name) ON DELETE CASCADE,
  chunk_id BLOB NOT NULL CHECK (length(chunk_id) = 32),
  PRIMARY KEY (target, chunk_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE target_events (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  target     TEXT    NOT NULL,
  at_unix_ns INTEGER NOT NULL,
  state      TEXT    NOT NULL CHECK (state IN ('up', 'down', 'degraded')),
  detail     TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX target_events_by_target ON target_events (target, at_unix_ns);

CREATE TABLE pairing_tokens (
  id              TEXT    NOT NULL PRIMARY KEY CHECK (length(id) = 16),
  secret_sha256   BLOB    NOT NULL CHECK (length(secret_sha256) = 32),
  peer_name       TEXT    NOT NULL CHECK (length(peer_name) BETWEEN 1 AND 63),
  created_unix_ns INTEGER NOT NULL,
  expires_unix_ns INTEGER NOT NULL CHECK (expires_unix_ns > created_unix_ns),
  used_unix_ns    INTEGER,
  used_by_peer    TEXT,
  created_by      TEXT    NOT NULL DEFAULT '',
  CHECK ((used_unix_ns IS NULL) = (used_by_peer IS NULL))
) STRICT, WITHOUT ROWID;

CREATE TABLE replica_peers (
  id                  TEXT    NOT NULL PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
  name                TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 63),
  remote_name         TEXT    NOT NULL DEFAULT '' CHECK (length(remote_name) <= 128),
  cert_serial         TEXT    NOT NULL UNIQUE CHECK (length(cert_serial) BETWEEN 1 AND 128),
  cert_sha256         TEXT    NOT NULL CHECK (length(cert_sha256) = 64),
  created_unix_ns     INTEGER NOT NULL,
  cert_not_after_unix INTEGER NOT NULL,
  revoked_unix_ns     INTEGER,
  last_seen_unix_ns   INTEGER,
  objects_held        INTEGER NOT NULL DEFAULT 0 CHECK (objects_held >= 0),
  bytes_held          INTEGER NOT NULL DEFAULT 0 CHECK (bytes_held >= 0)
) STRICT, WITHOUT ROWID;
-- A name belongs to one active peer; a revoked peer's name may be paired again.
CREATE UNIQUE INDEX replica_peers_active_name ON replica_peers (name)
  WHERE revoked_unix_ns IS NULL;
)sql";

Status ApplySchemaV4(SqliteDb& db) { return db.Exec(kSchemaV4); }

// Schema v5: data safety (issue 6). Documented in docs/formats.md.
//  - snapshots.lock_until_unix_ns: the retention lock (WORM) copied from the
//    snapshot's manifest, which is authoritative (so a rebuilt catalog keeps
//    it); 0 = not locked. It only ever grows.
//  - snapshots.deleting: 1 while a prune deletes the snapshot (the row is
//    marked, the manifest unlinked, then the row removed and refcounts
//    lowered); hidden from listings, finished at the next open/prune.
//  - retention_policies: keep rules per cluster ('' = local-mode snapshots)
//    and per schedule ('' = the cluster's default); `policy` is a JSON object
//    (core/retention/retention_policy.h).
//  - snapshot_checks: the last verify/scrub result per snapshot.
//  - quarantined_chunks: chunks verify found damaged, moved aside to
//    <store>/quarantine/ (`file`, '' when the chunk file was missing).
//  - gc_runs: garbage collection runs; a 'running' row is resumed from
//    next_prefix (the first chunk directory not yet swept) with its cutoff.
//  - replica_snapshots.lock_until_unix_ns / replica_chunks.retain_until_unix_ns:
//    the Object Lock retain-until a target has applied (0: none), so a longer
//    snapshot lock extends the replica's.
constexpr std::string_view kSchemaV5 = R"sql(
ALTER TABLE snapshots ADD COLUMN lock_until_unix_ns INTEGER NOT NULL DEFAULT 0
  CHECK (lock_until_unix_ns >= 0);
ALTER TABLE snapshots ADD COLUMN deleting INTEGER NOT NULL DEFAULT 0 CHECK (deleting IN (0, 1));

CREATE TABLE retention_policies (
  cluster         TEXT    NOT NULL CHECK (length(cluster) <= 128),
  schedule        TEXT    NOT NULL DEFAULT '' CHECK (length(schedule) <= 128),
  policy          TEXT    NOT NULL
                  CHECK (CASE WHEN json_valid(policy) THEN json_type(policy) = 'object' ELSE 0 END),
  updated_unix_ns INTEGER NOT NULL,
  updated_by      TEXT    NOT NULL DEFAULT '',
  PRIMARY KEY (cluster, schedule)
) STRICT, WITHOUT ROWID;

CREATE TABLE snapshot_checks (
  snapshot_id     TEXT    NOT NULL PRIMARY KEY,
  checked_unix_ns INTEGER NOT NULL,
  state           TEXT    NOT NULL CHECK (state IN ('ok', 'damaged', 'healed')),
  damaged_chunks  INTEGER NOT NULL DEFAULT 0 CHECK (damaged_chunks >= 0),
  healed_chunks   INTEGER NOT NULL DEFAULT 0 CHECK (healed_chunks >= 0),
  detail          TEXT    NOT NULL DEFAULT ''
) STRICT, WITHOUT ROWID;

CREATE TABLE quarantined_chunks (
  chunk_id            BLOB    NOT NULL PRIMARY KEY CHECK (length(chunk_id) = 32),
  quarantined_unix_ns INTEGER NOT NULL,
  problem             TEXT    NOT NULL,
  file                TEXT    NOT NULL DEFAULT ''
) STRICT, WITHOUT ROWID;

CREATE TABLE gc_runs (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  started_unix_ns  INTEGER NOT NULL,
  cutoff_unix_ns   INTEGER NOT NULL,
  state            TEXT    NOT NULL CHECK (state IN ('running', 'done', 'failed')),
  next_prefix      INTEGER NOT NULL DEFAULT 0 CHECK (next_prefix BETWEEN 0 AND 256),
  chunks_freed     INTEGER NOT NULL DEFAULT 0 CHECK (chunks_freed >= 0),
  bytes_freed      INTEGER NOT NULL DEFAULT 0 CHECK (bytes_freed >= 0),
  finished_unix_ns INTEGER,
  detail           TEXT    NOT NULL DEFAULT ''
) STRICT;

ALTER TABLE replica_snapshots ADD COLUMN lock_until_unix_ns INTEGER NOT NULL DEFAULT 0
  CHECK (lock_until_unix_ns >= 0);
ALTER TABLE replica_chunks ADD COLUMN retain_until_unix_ns INTEGER NOT NULL DEFAULT 0
  CHECK (retain_until_unix_ns >= 0);
)sql";

Status ApplySchemaV5(SqliteDb& db) { return db.Exec(kSchemaV5); }

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
      {2, "registry: snapshots.cluster, clusters, enrollment_tokens, agents, api_tokens, audit_log",
       ApplySchemaV2},
      {3, "schedules: backup schedules per cluster", ApplySchemaV3},
      {4, "replication: targets, replica progress, target events, pairing tokens, peers",
       ApplySchemaV4},
      {5, "data safety: snapshot locks and deletion, retention policies, checks, quarantine, gc",
       ApplySchemaV5},
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

Result<std::unique_ptr<SqliteDb>> OpenMigratedCatalog(const std::filesystem::path& catalog_db,
                                                      int min_version, std::string_view who) {
  const std::string where = std::string(who) + ": catalog " + catalog_db.string() + ": ";
  SqliteOpenOptions options;
  // Creating an empty file here would only defer the error to the version
  // check, with a worse message.
  options.create_if_missing = false;
  auto db = SqliteDb::Open(catalog_db, options);
  if (!db.ok()) {
    if (db.error().IsNotFound()) {
      return Status::NotFound(where +
                              "no such file; the appliance creates the catalog when it opens "
                              "the store, before it opens the " + std::string(who));
    }
    return db.error().WithContext(who);
  }
  CAIRN_ASSIGN_OR_RETURN(std::int64_t app_id, (*db)->QueryInt("PRAGMA application_id"));
  CAIRN_ASSIGN_OR_RETURN(int version, CatalogSchemaVersion(**db));
  if (app_id != kCatalogApplicationId) {
    return Status::InvalidArgument(where + "not a cairn catalog (application_id " +
                                   std::to_string(app_id) + "); check the store path");
  }
  if (version < min_version) {
    return Status::InvalidArgument(
        where + "schema v" + std::to_string(version) + " has no " + std::string(who) +
        " tables (they arrive in v" + std::to_string(min_version) +
        "); open the store with this cairn first (opening it migrates the catalog), then retry");
  }
  if (version > LatestCatalogSchemaVersion()) {
    return Status::InvalidArgument(
        where + "schema v" + std::to_string(version) + " is newer than this cairn (knows up to v" +
        std::to_string(LatestCatalogSchemaVersion()) + "): upgrade cairn");
  }
  return db;
}

}  // namespace cairn
