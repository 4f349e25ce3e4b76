// Catalog: the SQLite index of a store (<store>/catalog.db).
//
// The store's files are authoritative; the catalog indexes them so that
// listing snapshots, deduplicating against known chunks and reporting sizes
// need not walk the store. `cairnctl catalog rebuild` recreates it from the
// store, which is why a damaged catalog is reported as Corruption with that
// hint rather than treated as data loss. Schema: docs/formats.md.
//
// Durability: journal_mode=WAL, synchronous=FULL. When CommitSnapshot(),
// MarkVerified() or SetMeta() return Ok the change survives power loss; when
// they fail, none of it is visible (each is one transaction).
//
// Thread-safety: a Catalog object must be used by one thread at a time (the
// engine calls it from its coordinator thread only); it may be moved between
// threads between calls. The connection is opened SQLITE_OPEN_NOMUTEX since
// SQLite's per-connection mutex would only guard what the caller already
// serializes. Several Catalog objects (in one or several processes) may open
// the same file: writers queue on SQLite's lock for up to busy_timeout, then
// fail with Unavailable (retryable).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/chunk_id.h"
#include "core/base/status.h"

namespace cairn {

class SqliteDb;
class SqliteStatement;

// One row of `snapshots`. Counters are unsigned in the API and stored as
// SQLite's signed 64-bit integers: values above INT64_MAX are refused.
struct SnapshotRecord {
  std::string id;        // unique; FindSnapshot accepts a unique prefix of it
  std::string name;      // backup set name, e.g. "web01:/etc"; not unique
  std::string cluster;   // owning cluster (agent snapshots); "" in local mode
  std::string source;    // what was backed up (path, archive name, ...)
  std::string hostname;  // machine the backup came from
  std::int64_t created_unix_ns = 0;
  std::uint64_t file_count = 0;
  std::uint64_t dir_count = 0;
  std::uint64_t bytes_read = 0;      // logical bytes of the tree
  std::uint64_t bytes_new = 0;       // plaintext bytes in chunks new to the store
  std::uint64_t bytes_stored = 0;    // sealed bytes written to the store
  std::uint64_t chunk_count = 0;     // distinct chunks the snapshot references
  std::uint64_t manifest_bytes = 0;  // size of the stored manifest
  std::vector<std::string> tags;     // stored as a JSON array of strings
  std::int64_t lock_until_unix_ns = 0;  // retention lock from the manifest; 0 = none

  friend bool operator==(const SnapshotRecord&, const SnapshotRecord&) = default;
};

// A chunk written to the store by the backup being committed.
struct NewChunk {
  ChunkId id;
  std::uint64_t plain_size = 0;   // plaintext bytes
  std::uint64_t stored_size = 0;  // sealed (compressed + encrypted) bytes on disk
};

// One row of `chunks`.
struct ChunkRecord {
  ChunkId id;
  std::uint64_t plain_size = 0;
  std::uint64_t stored_size = 0;
  std::uint64_t refcount = 0;                    // snapshots referencing the chunk
  std::optional<std::int64_t> verified_unix_ns;  // last successful verify, if any

  friend bool operator==(const ChunkRecord&, const ChunkRecord&) = default;
};

struct CatalogStats {
  std::uint64_t snapshot_count = 0;
  std::uint64_t chunk_count = 0;
  std::uint64_t plain_bytes = 0;   // sum of chunks.plain_size
  std::uint64_t stored_bytes = 0;  // sum of chunks.stored_size
  std::uint64_t logical_bytes = 0;  // sum of snapshots.bytes_read (what the snapshots hold)
};

struct CatalogOptions {
  // See SqliteOpenOptions::busy_timeout. Default 5 s.
  std::chrono::milliseconds busy_timeout{5000};
};

class Catalog {
 public:
  // Opens or creates the catalog at `db_path` (its directory must exist) and
  // migrates it to the latest schema. Errors: Corruption (damaged file, with
  // the rebuild hint), InvalidArgument (not a catalog, or a schema newer than
  // this binary), Unavailable (locked past busy_timeout), IoError.
  static Result<std::unique_ptr<Catalog>> Open(const std::filesystem::path& db_path,
                                               const CatalogOptions& options = {});

  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  // SQLite's quick_check over every page, table and index: reading the whole
  // file once (about a second per few hundred MB). Open only reads the header
  // and the schema; the appliance calls this at start so a damaged page is
  // found there, with the rebuild hint, and not by a backup's commit.
  // Errors: Corruption (naming the first problem, with the hint), IoError.
  Status CheckIntegrity();
  ~Catalog();

  // In ONE transaction: inserts the snapshot row (AlreadyExists if its id is
  // taken), inserts `new_chunks` (a chunk already present is kept as it is),
  // and adds one to the refcount of each distinct chunk in
  // `referenced_chunks` (duplicates count once; may include new chunks).
  // A referenced chunk that is neither present nor new is InvalidArgument.
  // Either all of it is visible afterwards or none.
  Status CommitSnapshot(const SnapshotRecord& snapshot, const std::vector<NewChunk>& new_chunks,
                        const std::vector<ChunkId>& referenced_chunks);

  // Every chunk id in the catalog, in id order (loaded once per backup into
  // an in-memory set for deduplication), except quarantined chunks, whose
  // files are gone until healed or written again.
  Result<std::vector<ChunkId>> AllChunkIds();
  Result<bool> HasChunk(const ChunkId& id);
  Result<std::optional<ChunkRecord>> GetChunk(const ChunkId& id);

  // Snapshots, oldest first (ties by id); only those named `name` and/or of
  // `cluster` if given.
  Result<std::vector<SnapshotRecord>> ListSnapshots(std::optional<std::string> name = std::nullopt,
                                                    std::optional<std::string> cluster = std::nullopt);
  // By full id, or by a prefix matching exactly one id. NotFound when nothing
  // matches; InvalidArgument "ambiguous prefix ..., matches: a, b" otherwise.
  Result<SnapshotRecord> FindSnapshot(std::string_view id_or_unique_prefix);
  // The newest snapshot (of `name` and/or `cluster`, if given); nullopt when
  // there is none.
  Result<std::optional<SnapshotRecord>> LatestSnapshot(
      std::optional<std::string> name = std::nullopt,
      std::optional<std::string> cluster = std::nullopt);

  // Records a successful verification of `ids` at `unix_ns`, in one
  // transaction. Ids not in the catalog are skipped: the store is
  // authoritative, and catalog drift is for `catalog rebuild` to repair.
  Status MarkVerified(const std::vector<ChunkId>& ids, std::int64_t unix_ns);

  Result<CatalogStats> Stats();

  // Small durable key/value settings (store id, ...). SetMeta overwrites.
  Status SetMeta(std::string_view key, std::string_view value);
  Result<std::optional<std::string>> GetMeta(std::string_view key);

  const std::filesystem::path& path() const;

  // --- Deleting a snapshot (core/retention/snapshot_deleter.h drives it) ---
  // Deletion is three steps so a crash at any point is finished, never half
  // done: (1) BeginSnapshotDeletion marks the row (hidden from listings from
  // then on), (2) the caller unlinks the manifest, (3) FinishSnapshotDeletion
  // removes the row and lowers the refcounts.
  //
  // (1): NotFound when there is no such (unmarked) snapshot; PermissionDenied
  // when its lock runs past `now_unix_ns` -- nobody deletes a locked snapshot.
  Status BeginSnapshotDeletion(std::string_view id, std::int64_t now_unix_ns);
  // (3): in one transaction, removes the marked row and lowers by one the
  // refcount of each distinct chunk in `referenced` (never below zero).
  Status FinishSnapshotDeletion(std::string_view id, const std::vector<ChunkId>& referenced);
  // Rows marked by (1) whose deletion was not finished (a crash).
  Result<std::vector<SnapshotRecord>> SnapshotsBeingDeleted();
  // Raises the snapshot's lock to `until_unix_ns`; a lower value changes
  // nothing (a lock is never shortened). NotFound when there is no snapshot.
  // `manifest_bytes`: the size of the rewritten manifest that carries the lock.
  Status RaiseSnapshotLock(std::string_view id, std::int64_t until_unix_ns,
                           std::optional<std::uint64_t> manifest_bytes = std::nullopt);

  // The connection, for subsystems that keep their own tables in the
  // catalog and their own SQL in their own files (garbage collection, checks,
  // retention policies). Same one-thread-at-a-time rule as the Catalog.
  SqliteDb& db() { return *db_; }

  // After a rebuild: copies the appliance registry (clusters, enrollment
  // tokens, agents, API tokens, audit log, pairing tokens, replication
  // peers) from the catalog file it replaced,
  // which the store's files cannot restore. Rows already present are kept.
  // One transaction: all of it or none. An error (the old file is damaged,
  // or older than schema v2) leaves this catalog as it was.
  Status ImportRegistryFrom(const std::filesystem::path& old_db);

  // Fault injection: CommitSnapshot fails with IoError before executing its
  // statement number `n` (0 = BEGIN, 1 = the snapshot row, then one per new
  // chunk, one per distinct referenced chunk, and last COMMIT). The failure
  // path is the real one (the transaction rolls back). n < 0 disables.
  void TEST_FailCommitAfterStatements(int n) { test_fail_after_statements_ = n; }

 private:
  explicit Catalog(std::unique_ptr<SqliteDb> db);
  Status CommitSnapshotInTransaction(const SnapshotRecord& snapshot, std::string_view tags_json,
                                     const std::vector<NewChunk>& new_chunks,
                                     const std::vector<ChunkId>& distinct_referenced);
  Result<std::vector<SnapshotRecord>> QuerySnapshots(SqliteStatement& stmt);
  Result<SnapshotRecord> ReadSnapshotRow(const SqliteStatement& stmt);

  std::unique_ptr<SqliteDb> db_;
  int test_fail_after_statements_ = -1;
};

}  // namespace cairn
