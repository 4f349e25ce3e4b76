#include "core/catalog/catalog.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "core/catalog/migrations.h"
#include "core/catalog/sqlite_db.h"
#include "core/catalog/sqlite_statement.h"
#include "core/catalog/transaction.h"

namespace cairn {
namespace {

// Column order shared by every snapshot query and ReadSnapshotRow().
constexpr std::string_view kSnapshotColumns =
    "id, name, created_unix_ns, source, hostname, file_count, dir_count, bytes_read, "
    "bytes_new, bytes_stored, chunk_count, manifest_bytes, tags, cluster, lock_until_unix_ns";

// "WHERE name = ?1 AND cluster = ?2 " for the filters given (the numbers stay
// fixed so binding does not depend on which are present). Separate
// conditions rather than "?1 IS NULL OR name = ?1", which would keep SQLite
// from using the (name, created_unix_ns) index.
// A snapshot being deleted (deleting = 1) is no longer listed.
std::string WhereNameCluster(const std::optional<std::string>& name,
                             const std::optional<std::string>& cluster) {
  std::string where = "WHERE deleting = 0 ";
  if (name) where += "AND name = ?1 ";
  if (cluster) where += "AND cluster = ?2 ";
  return where;
}

std::string SelectSnapshots(std::string_view tail) {
  std::string sql = "SELECT ";
  sql += kSnapshotColumns;
  sql += " FROM snapshots ";
  sql += tail;
  return sql;
}

// How many matches an ambiguous-prefix error lists before "...".
constexpr int kMaxListedMatches = 10;

Result<std::string> TagsToJson(const std::vector<std::string>& tags) {
  // nlohmann::json reports invalid UTF-8 by throwing; this is the one place
  // that can happen, so the exception is turned into a Status right here.
  try {
    return nlohmann::json(tags).dump();
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("snapshot tags must be valid UTF-8: ") + e.what());
  }
}

// The smallest string greater than every string starting with `prefix`
// (bytewise, as SQLite's BINARY collation compares), or nullopt when there is
// none (prefix of all 0xFF bytes).
std::optional<std::string> PrefixUpperBound(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xFF) prefix.pop_back();
  if (prefix.empty()) return std::nullopt;
  prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  return prefix;
}

}  // namespace

Catalog::Catalog(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}
Catalog::~Catalog() = default;

const std::filesystem::path& Catalog::path() const { return db_->path(); }

Result<std::unique_ptr<Catalog>> Catalog::Open(const std::filesystem::path& db_path,
                                               const CatalogOptions& options) {
  SqliteOpenOptions sqlite_options;
  sqlite_options.busy_timeout = options.busy_timeout;
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(db_path, sqlite_options));
  CAIRN_RETURN_IF_ERROR(MigrateCatalog(*db));
  return std::unique_ptr<Catalog>(new Catalog(std::move(db)));
}

Status Catalog::CheckIntegrity() {
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement check, db_->Prepare("PRAGMA quick_check(5)"));
  std::string problems;
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(bool row, check.Step());
    if (!row) break;
    const std::string line = check.ColumnText(0);
    if (line == "ok") continue;
    if (!problems.empty()) problems += "; ";
    problems += line;
  }
  if (problems.empty()) return Status::Ok();
  return db_->CorruptionError("integrity check: " + problems);
}

// ---- snapshots --------------------------------------------------------------

Status Catalog::CommitSnapshot(const SnapshotRecord& snapshot,
                               const std::vector<NewChunk>& new_chunks,
                               const std::vector<ChunkId>& referenced_chunks) {
  const std::string what = "commit snapshot " + snapshot.id;
  if (snapshot.id.empty() || snapshot.name.empty()) {
    return Status::InvalidArgument(what + ": snapshot id and name must not be empty");
  }
  auto tags_json = TagsToJson(snapshot.tags);
  if (!tags_json.ok()) return tags_json.error().WithContext(what);
  std::vector<ChunkId> distinct = referenced_chunks;
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  return CommitSnapshotInTransaction(snapshot, *tags_json, new_chunks, distinct).WithContext(what);
}

Status Catalog::CommitSnapshotInTransaction(const SnapshotRecord& s, std::string_view tags_json,
                                            const std::vector<NewChunk>& new_chunks,
                                            const std::vector<ChunkId>& distinct_referenced) {
  // Every statement passes through Gate() first, so TEST_FailCommitAfterStatements
  // can stop the commit at any point on its real error path.
  int executed = 0;
  auto gate = [&]() -> Status {
    if (test_fail_after_statements_ >= 0 && executed >= test_fail_after_statements_) {
      return Status::IoError("catalog " + db_->path().string() +
                             ": injected failure before statement " + std::to_string(executed));
    }
    ++executed;
    return Status::Ok();
  };

  CAIRN_RETURN_IF_ERROR(gate());
  CAIRN_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));

  CAIRN_ASSIGN_OR_RETURN(
      SqliteStatement insert_snapshot,
      db_->Prepare("INSERT INTO snapshots (" + std::string(kSnapshotColumns) +
                   ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"));
  // A chunk already present keeps its row: its sizes describe the same bytes
  // and its refcount belongs to earlier snapshots.
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement insert_chunk,
                         db_->Prepare("INSERT OR IGNORE INTO chunks "
                                      "(id, plain_size, stored_size, refcount) "
                                      "VALUES (?1, ?2, ?3, 0)"));
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement add_ref,
                         db_->Prepare("UPDATE chunks SET refcount = refcount + 1 WHERE id = ?1"));

  CAIRN_RETURN_IF_ERROR(gate());
  Status st = insert_snapshot.BindText(1, s.id);
  if (st.ok()) st = insert_snapshot.BindText(2, s.name);
  if (st.ok()) st = insert_snapshot.BindInt64(3, s.created_unix_ns);
  if (st.ok()) st = insert_snapshot.BindText(4, s.source);
  if (st.ok()) st = insert_snapshot.BindText(5, s.hostname);
  if (st.ok()) st = insert_snapshot.BindUint64(6, s.file_count);
  if (st.ok()) st = insert_snapshot.BindUint64(7, s.dir_count);
  if (st.ok()) st = insert_snapshot.BindUint64(8, s.bytes_read);
  if (st.ok()) st = insert_snapshot.BindUint64(9, s.bytes_new);
  if (st.ok()) st = insert_snapshot.BindUint64(10, s.bytes_stored);
  if (st.ok()) st = insert_snapshot.BindUint64(11, s.chunk_count);
  if (st.ok()) st = insert_snapshot.BindUint64(12, s.manifest_bytes);
  if (st.ok()) st = insert_snapshot.BindText(13, tags_json);
  if (st.ok()) st = insert_snapshot.BindText(14, s.cluster);
  if (st.ok()) st = insert_snapshot.BindInt64(15, s.lock_until_unix_ns);
  if (st.ok()) st = insert_snapshot.Run();
  CAIRN_RETURN_IF_ERROR(st);

  for (const NewChunk& c : new_chunks) {
    CAIRN_RETURN_IF_ERROR(gate());
    st = insert_chunk.BindBlob(1, c.id.bytes);
    if (st.ok()) st = insert_chunk.BindUint64(2, c.plain_size);
    if (st.ok()) st = insert_chunk.BindUint64(3, c.stored_size);
    if (st.ok()) st = insert_chunk.Run();
    CAIRN_RETURN_IF_ERROR(st.WithContext("chunk " + c.id.Hex()));
  }

  for (const ChunkId& id : distinct_referenced) {
    CAIRN_RETURN_IF_ERROR(gate());
    st = add_ref.BindBlob(1, id.bytes);
    if (st.ok()) st = add_ref.Run();
    CAIRN_RETURN_IF_ERROR(st.WithContext("chunk " + id.Hex()));
    if (db_->changes() != 1) {
      return Status::InvalidArgument("references chunk " + id.Hex() +
                                     ", which is neither in the catalog nor among the "
                                     "snapshot's new chunks");
    }
  }

  CAIRN_RETURN_IF_ERROR(gate());
  return tx.Commit();
}

Result<SnapshotRecord> Catalog::ReadSnapshotRow(const SqliteStatement& stmt) {
  SnapshotRecord r;
  r.id = stmt.ColumnText(0);
  r.name = stmt.ColumnText(1);
  r.created_unix_ns = stmt.ColumnInt64(2);
  r.source = stmt.ColumnText(3);
  r.hostname = stmt.ColumnText(4);
  std::uint64_t* counters[] = {&r.file_count,   &r.dir_count,   &r.bytes_read,    &r.bytes_new,
                               &r.bytes_stored, &r.chunk_count, &r.manifest_bytes};
  for (int i = 0; i < 7; ++i) {
    CAIRN_ASSIGN_OR_RETURN(*counters[i], stmt.ColumnUint64(5 + i));
  }
  const std::string tags = stmt.ColumnText(12);
  const auto json = nlohmann::json::parse(tags, nullptr, /*allow_exceptions=*/false);
  if (!json.is_array()) {
    return db_->CorruptionError("snapshot " + r.id + ": tags are not a JSON array: " + tags);
  }
  for (const auto& tag : json) {
    if (!tag.is_string()) {
      return db_->CorruptionError("snapshot " + r.id + ": a tag is not a string: " + tags);
    }
    r.tags.push_back(tag.get<std::string>());
  }
  r.cluster = stmt.ColumnText(13);
  r.lock_until_unix_ns = stmt.ColumnInt64(14);
  return r;
}

Result<std::vector<SnapshotRecord>> Catalog::QuerySnapshots(SqliteStatement& stmt) {
  std::vector<SnapshotRecord> out;
  for (;;) {
    CAIRN_ASSIGN_OR_RETURN(bool has_row, stmt.Step());
    if (!has_row) break;
    CAIRN_ASSIGN_OR_RETURN(SnapshotRecord r, ReadSnapshotRow(stmt));
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<SnapshotRecord>> Catalog::ListSnapshots(std::optional<std::string> name,
                                                            std::optional<std::string> cluster) {
  CAIRN_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      db_->Prepare(SelectSnapshots(WhereNameCluster(name, cluster) + "ORDER BY created_unix_ns, id")));
  if (name) CAIRN_RETURN_IF_ERROR(stmt.BindText(1, *name));
  if (cluster) CAIRN_RETURN_IF_ERROR(stmt.BindText(2, *cluster));
  return QuerySnapshots(stmt);
}

Result<SnapshotRecord> Catalog::FindSnapshot(std::string_view id_or_unique_prefix) {
  const std::string prefix(id_or_unique_prefix);
  if (prefix.empty()) return Status::InvalidArgument("find snapshot: empty snapshot id");
  {
    // An exact id wins even if it is also a prefix of longer ids.
    CAIRN_ASSIGN_OR_RETURN(SqliteStatement exact, db_->Prepare(SelectSnapshots("WHERE id = ?1 AND deleting = 0")));
    CAIRN_RETURN_IF_ERROR(exact.BindText(1, prefix));
    CAIRN_ASSIGN_OR_RETURN(auto rows, QuerySnapshots(exact));
    if (!rows.empty()) return std::move(rows.front());
  }
  // A range scan on the primary key: [prefix, upper bound).
  const std::optional<std::string> upper = PrefixUpperBound(prefix);
  CAIRN_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      db_->Prepare(SelectSnapshots(
          upper ? "WHERE id >= ?1 AND id < ?2 AND deleting = 0 ORDER BY id LIMIT ?3"
                : "WHERE id >= ?1 AND deleting = 0 ORDER BY id LIMIT ?3")));
  Status st = stmt.BindText(1, prefix);
  if (st.ok() && upper) st = stmt.BindText(2, *upper);
  if (st.ok()) st = stmt.BindInt64(3, kMaxListedMatches + 1);
  CAIRN_RETURN_IF_ERROR(st);
  CAIRN_ASSIGN_OR_RETURN(auto rows, QuerySnapshots(stmt));
  if (rows.empty()) {
    return Status::NotFound("no snapshot with id or id prefix \"" + prefix + "\"");
  }
  if (rows.size() == 1) return std::move(rows.front());
  std::string msg = "ambiguous prefix \"" + prefix + "\", matches: ";
  for (std::size_t i = 0; i < rows.size() && i < kMaxListedMatches; ++i) {
    if (i > 0) msg += ", ";
    msg += rows[i].id;
  }
  if (rows.size() > kMaxListedMatches) msg += ", ...";
  msg += " (give more of the id)";
  return Status::InvalidArgument(std::move(msg));
}

Result<std::optional<SnapshotRecord>> Catalog::LatestSnapshot(std::optional<std::string> name,
                                                               std::optional<std::string> cluster) {
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt,
                         db_->Prepare(SelectSnapshots(WhereNameCluster(name, cluster) +
                                                      "ORDER BY created_unix_ns DESC, id DESC LIMIT 1")));
  if (name) CAIRN_RETURN_IF_ERROR(stmt.BindText(1, *name));
  if (cluster) CAIRN_RETURN_IF_ERROR(stmt.BindText(2, *cluster));
  CAIRN_ASSIGN_OR_RETURN(auto rows, QuerySnapshots(stmt));
  if (rows.empty()) return std::optional<SnapshotRecord>();
  return std::optional<SnapshotRecord>(std::move(rows.front()));
}

// ---- chunks -----------------------------------------------------------------

Result<std::vector<ChunkId>> Catalog::AllChunkIds() {
  CAIRN_ASSIGN_OR_RETURN(std::int64_t count, db_->QueryInt("SELECT count(*) FROM chunks"));
  // A quarantined chunk's file is gone (core/scrub/quarantine.h): a backup
  // that deduplicated against it would reference nothing, so it is left
  // out and the next backup holding its content writes it again.
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt,
                         db_->Prepare("SELECT id FROM chunks WHERE id NOT IN "
                                      "(SELECT chunk_id FROM quarantined_chunks) ORDER BY id"));
  std::vector<ChunkId> ids;
  ids.reserve(static_cast<std::size_t>(count));
  for (;;) {
    CAIRN_ASSIGN_OR_RETURN(bool has_row, stmt.Step());
    if (!has_row) break;
    std::optional<ChunkId> id = ChunkId::FromBytes(stmt.ColumnBlob(0));
    if (!id) return db_->CorruptionError("a chunk id is not 32 bytes");
    ids.push_back(*id);
  }
  return ids;
}

Result<std::optional<ChunkRecord>> Catalog::GetChunk(const ChunkId& id) {
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt,
                         db_->Prepare("SELECT plain_size, stored_size, refcount, verified_unix_ns "
                                      "FROM chunks WHERE id = ?1"));
  CAIRN_RETURN_IF_ERROR(stmt.BindBlob(1, id.bytes));
  CAIRN_ASSIGN_OR_RETURN(bool has_row, stmt.Step());
  if (!has_row) return std::optional<ChunkRecord>();
  ChunkRecord r;
  r.id = id;
  CAIRN_ASSIGN_OR_RETURN(r.plain_size, stmt.ColumnUint64(0));
  CAIRN_ASSIGN_OR_RETURN(r.stored_size, stmt.ColumnUint64(1));
  CAIRN_ASSIGN_OR_RETURN(r.refcount, stmt.ColumnUint64(2));
  if (!stmt.ColumnIsNull(3)) r.verified_unix_ns = stmt.ColumnInt64(3);
  return std::optional<ChunkRecord>(r);
}

Result<bool> Catalog::HasChunk(const ChunkId& id) {
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt, db_->Prepare("SELECT 1 FROM chunks WHERE id = ?1"));
  CAIRN_RETURN_IF_ERROR(stmt.BindBlob(1, id.bytes));
  return stmt.Step();
}

Status Catalog::MarkVerified(const std::vector<ChunkId>& ids, std::int64_t unix_ns) {
  const std::string what = "mark " + std::to_string(ids.size()) + " chunks verified";
  auto mark = [&]() -> Status {
    CAIRN_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
    CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt,
                           db_->Prepare("UPDATE chunks SET verified_unix_ns = ?1 WHERE id = ?2"));
    CAIRN_RETURN_IF_ERROR(stmt.BindInt64(1, unix_ns));
    for (const ChunkId& id : ids) {
      CAIRN_RETURN_IF_ERROR(stmt.BindBlob(2, id.bytes));
      CAIRN_RETURN_IF_ERROR(stmt.Run());
    }
    return tx.Commit();
  };
  return mark().WithContext(what);
}

Result<std::vector<SnapshotRecord>> Catalog::SnapshotsBeingDeleted() {
  CAIRN_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      db_->Prepare(SelectSnapshots("WHERE deleting = 1 ORDER BY created_unix_ns, id")));
  return QuerySnapshots(stmt);
}

Result<CatalogStats> Catalog::Stats() {
  CAIRN_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      db_->Prepare("SELECT (SELECT count(*) FROM snapshots WHERE deleting = 0), count(*), "
                   "coalesce(sum(plain_size), 0), coalesce(sum(stored_size), 0), "
                   "(SELECT coalesce(sum(bytes_read), 0) FROM snapshots WHERE deleting = 0) FROM chunks"));
  CAIRN_ASSIGN_OR_RETURN(bool has_row, stmt.Step());
  if (!has_row) return db_->CorruptionError("stats query returned no row");
  CatalogStats stats;
  CAIRN_ASSIGN_OR_RETURN(stats.snapshot_count, stmt.ColumnUint64(0));
  CAIRN_ASSIGN_OR_RETURN(stats.chunk_count, stmt.ColumnUint64(1));
  CAIRN_ASSIGN_OR_RETURN(stats.plain_bytes, stmt.ColumnUint64(2));
  CAIRN_ASSIGN_OR_RETURN(stats.stored_bytes, stmt.ColumnUint64(3));
  CAIRN_ASSIGN_OR_RETURN(stats.logical_bytes, stmt.ColumnUint64(4));
  return stats;
}

// ---- meta -------------------------------------------------------------------

Status Catalog::SetMeta(std::string_view key, std::string_view value) {
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt,
                         db_->Prepare("INSERT INTO meta (key, value) VALUES (?1, ?2) "
                                      "ON CONFLICT (key) DO UPDATE SET value = excluded.value"));
  Status st = stmt.BindText(1, key);
  if (st.ok()) st = stmt.BindText(2, value);
  if (st.ok()) st = stmt.Run();
  return st.WithContext("set meta " + std::string(key));
}

Result<std::optional<std::string>> Catalog::GetMeta(std::string_view key) {
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt,
                         db_->Prepare("SELECT value FROM meta WHERE key = ?1"));
  CAIRN_RETURN_IF_ERROR(stmt.BindText(1, key));
  CAIRN_ASSIGN_OR_RETURN(bool has_row, stmt.Step());
  if (!has_row) return std::optional<std::string>();
  return std::optional<std::string>(stmt.ColumnText(0));
}

// ---- registry carry-over -----------------------------------------------------

Status Catalog::ImportRegistryFrom(const std::filesystem::path& old_db) {
  // Explicit column lists: the copy must not depend on column order.
  static constexpr std::pair<std::string_view, std::string_view> kTables[] = {
      {"clusters", "name, created_unix_ns"},
      {"enrollment_tokens",
       "id, secret_sha256, cluster, created_unix_ns, expires_unix_ns, used_unix_ns, "
       "used_by_agent, created_by"},
      {"agents",
       "id, cluster, common_name, cert_serial, cert_sha256, created_unix_ns, "
       "cert_not_after_unix, revoked_unix_ns, last_seen_unix_ns"},
      {"api_tokens",
       "id, name, role, secret_sha256, created_unix_ns, revoked_unix_ns, last_used_unix_ns"},
      {"audit_log", "seq, at_unix_ns, actor, action, target, outcome, detail"},
      // Schema v4: appliances paired to replicate into this one.
      {"pairing_tokens",
       "id, secret_sha256, peer_name, created_unix_ns, expires_unix_ns, used_unix_ns, "
       "used_by_peer, created_by"},
      {"replica_peers",
       "id, name, remote_name, cert_serial, cert_sha256, created_unix_ns, cert_not_after_unix, "
       "revoked_unix_ns, last_seen_unix_ns, objects_held, bytes_held"},
  };
  const std::string what = "carry the registry over from " + old_db.string();
  {
    CAIRN_ASSIGN_OR_RETURN(SqliteStatement attach, db_->Prepare("ATTACH DATABASE ?1 AS old"));
    CAIRN_RETURN_IF_ERROR(attach.BindText(1, old_db.string()));
    CAIRN_RETURN_IF_ERROR(attach.Run().WithContext(what));
  }
  Status s = [&]() -> Status {
    CAIRN_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
    for (const auto& [table, columns] : kTables) {
      CAIRN_ASSIGN_OR_RETURN(SqliteStatement has,
                             db_->Prepare("SELECT count(*) FROM old.sqlite_schema "
                                          "WHERE type = 'table' AND name = ?1"));
      CAIRN_RETURN_IF_ERROR(has.BindText(1, table));
      CAIRN_ASSIGN_OR_RETURN(bool row, has.Step());
      if (!row || has.ColumnInt64(0) == 0) continue;  // a v1 catalog: nothing to carry
      const std::string cols(columns);
      CAIRN_RETURN_IF_ERROR(db_->Exec("INSERT OR IGNORE INTO main." + std::string(table) + " (" +
                                      cols + ") SELECT " + cols + " FROM old." +
                                      std::string(table)));
    }
    return tx.Commit();
  }();
  Status detached = db_->Exec("DETACH DATABASE old");
  if (!s.ok()) return s.WithContext(what);
  return detached.WithContext(what);
}

}  // namespace cairn
