// Registry: replication peers -- pairing tokens and the appliances paired
// with them (see registry.h, "replication peers"; tables pairing_tokens and
// replica_peers, schema v4, docs/formats.md).
#include <algorithm>
#include <cctype>

#include "appliance/registry/one_time_token.h"
#include "appliance/registry/registry.h"
#include "appliance/registry/registry_util.h"
#include "core/catalog/sqlite_db.h"
#include "core/catalog/sqlite_statement.h"
#include "core/catalog/transaction.h"

namespace cairn {
namespace {

// Column order shared by every peer query and ReadPeerRow().
constexpr std::string_view kPeerColumns =
    "id, name, remote_name, cert_serial, cert_sha256, created_unix_ns, cert_not_after_unix, "
    "revoked_unix_ns, last_seen_unix_ns, objects_held, bytes_held";

std::string SelectPeers(std::string_view tail) {
  std::string sql = "SELECT ";
  sql += kPeerColumns;
  sql += " FROM replica_peers ";
  sql += tail;
  return sql;
}

Result<Registry::PeerRecord> ReadPeerRow(const SqliteStatement& stmt) {
  Registry::PeerRecord r;
  r.id = stmt.ColumnText(0);
  r.name = stmt.ColumnText(1);
  r.remote_name = stmt.ColumnText(2);
  r.cert_serial = stmt.ColumnText(3);
  r.cert_sha256 = stmt.ColumnText(4);
  r.created_unix_ns = stmt.ColumnInt64(5);
  r.cert_not_after_unix = stmt.ColumnInt64(6);
  r.revoked_unix_ns = OptionalColumnInt64(stmt, 7);
  r.last_seen_unix_ns = OptionalColumnInt64(stmt, 8);
  CAIRN_ASSIGN_OR_RETURN(r.objects_held, stmt.ColumnUint64(9));
  CAIRN_ASSIGN_OR_RETURN(r.bytes_held, stmt.ColumnUint64(10));
  return r;
}

Result<std::optional<Registry::PeerRecord>> FindOne(SqliteStatement& stmt) {
  CAIRN_ASSIGN_OR_RETURN(bool found, stmt.Step());
  if (!found) return std::optional<Registry::PeerRecord>();
  CAIRN_ASSIGN_OR_RETURN(Registry::PeerRecord r, ReadPeerRow(stmt));
  return std::optional<Registry::PeerRecord>(std::move(r));
}

Status InvalidPeerName(std::string_view name) {
  return Status::InvalidArgument(
      "invalid peer name \"" + std::string(name.substr(0, 80)) +
      "\": use 1 to 63 lowercase letters, digits and '-', starting and ending with a letter or "
      "digit (a DNS-1123 label), e.g. \"site-a\"");
}

// Printable ASCII or UTF-8, no control characters: the remote name is shown
// in lists and log lines as the peer sent it.
bool IsPrintableName(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

Status CheckPeerFields(const Registry::PeerRecord& p) {
  if (!IsValidPeerId(p.id)) {
    return Status::InvalidArgument("invalid peer id \"" + p.id.substr(0, 80) +
                                   "\": expected peer-<16 lowercase hex digits>");
  }
  if (p.cert_serial.empty() || p.cert_serial.size() > 128) {
    return Status::InvalidArgument("peer " + p.id +
                                   ": certificate serial must be 1 to 128 characters");
  }
  if (!IsSha256Hex(p.cert_sha256)) {
    return Status::InvalidArgument("peer " + p.id + ": certificate SHA-256 must be 64 hex digits");
  }
  if (p.remote_name.size() > 128 || !IsPrintableName(p.remote_name)) {
    return Status::InvalidArgument("peer " + p.id +
                                   ": its own name must be at most 128 printable bytes");
  }
  return Status::Ok();
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The active (unrevoked) peer named `name`, if any. Run with mu_ held.
Result<std::optional<std::string>> ActivePeerNamed(SqliteDb& db, std::string_view name) {
  CAIRN_ASSIGN_OR_RETURN(
      SqliteStatement stmt,
      db.Prepare("SELECT id FROM replica_peers WHERE name = ?1 AND revoked_unix_ns IS NULL"));
  CAIRN_RETURN_IF_ERROR(stmt.BindText(1, name));
  CAIRN_ASSIGN_OR_RETURN(bool found, stmt.Step());
  if (!found) return std::optional<std::string>();
  return std::optional<std::string>(stmt.ColumnText(0));
}

}  // namespace

bool IsValidPeerId(std::string_view id) {
  constexpr std::string_view kPrefix = "peer-";
  if (id.size() != kPrefix.size() + 16 || !id.starts_with(kPrefix)) return false;
  return IsTokenId(id.substr(kPrefix.size()));
}

Result<std::string> NewPeerId() {
  CAIRN_ASSIGN_OR_RETURN(std::string hex, NewTokenId());
  return "peer-" + hex;
}

Result<Registry::PairingToken> Registry::CreatePairingToken(std::string_view peer_name,
                                                            std::chrono::seconds ttl,
                                                            std::string_view ca_sha256_hex,
                                                            std::string_view created_by) {
  if (!IsValidClusterName(peer_name)) return InvalidPeerName(peer_name);
  CAIRN_ASSIGN_OR_RETURN(MintedToken minted,
                         MintOneTimeToken(kPairingTokenKind, ttl, ca_sha256_hex, created_by));

  std::lock_guard<std::mutex> lock(mu_);
  const std::int64_t now = clock_.NowUnixNanos();
  const std::int64_t expires = now + ttl.count() * kNanosPerSecond;
  CAIRN_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
  CAIRN_ASSIGN_OR_RETURN(std::optional<std::string> holder, ActivePeerNamed(*db_, peer_name));
  if (holder) {
    // Checked again when the token is redeemed; refusing here saves handing
    // out a token that could never work.
    return Status::AlreadyExists(
        "peer name " + std::string(peer_name) + " belongs to active peer " + *holder +
        "; revoke it first (`cairnctl peer revoke " + *holder + "`) or choose another name");
  }
  CAIRN_RETURN_IF_ERROR(
      InsertOneTimeToken(*db_, kPairingTokens, minted, peer_name, now, expires, created_by));
  CAIRN_RETURN_IF_ERROR(tx.Commit());
  return PairingToken{std::move(minted.id), std::string(peer_name), std::move(minted.text),
                      expires};
}

Result<Registry::PeerRecord> Registry::RedeemPairingToken(std::string_view token_text,
                                                          const PeerRecord& peer) {
  CAIRN_RETURN_IF_ERROR(CheckPeerFields(peer));
  std::lock_guard<std::mutex> lock(mu_);
  // BEGIN IMMEDIATE: the write lock is held from the read to the INSERT, so
  // no other connection can redeem the token, or take the name, in between.
  CAIRN_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_));
  const std::int64_t now = clock_.NowUnixNanos();
  CAIRN_ASSIGN_OR_RETURN(RedeemableToken token,
                         CheckRedeemable(*db_, kPairingTokens, token_text, now));
  PeerRecord out = peer;
  out.name = token.subject;
  out.cert_sha256 = Lower(out.cert_sha256);
  out.created_unix_ns = peer.created_unix_ns != 0 ? peer.created_unix_ns : now;
  out.revoked_unix_ns.reset();
  out.last_seen_unix_ns.reset();
  out.objects_held = 0;
  out.bytes_held = 0;

  CAIRN_ASSIGN_OR_RETURN(std::optional<std::string> holder, ActivePeerNamed(*db_, out.name));
  if (holder) {
    return Status::PermissionDenied(token.what + " names peer " + out.name +
                                    ", which active peer " + *holder +
                                    " already is; the receiving appliance's admin must revoke "
                                    "it first, then create a new token");
  }
  CAIRN_ASSIGN_OR_RETURN(std::optional<std::string> clash,
                         FindIdOrSerial(*db_, "replica_peers", out.id, out.cert_serial));
  if (clash) {
    return Status::AlreadyExists("register peer " + out.id + ": its id or certificate serial " +
                                 out.cert_serial + " already belongs to peer " + *clash);
  }
  CAIRN_RETURN_IF_ERROR(MarkOneTimeTokenUsed(*db_, kPairingTokens, token, out.id, now));

  CAIRN_ASSIGN_OR_RETURN(
      SqliteStatement insert,
      db_->Prepare("INSERT INTO replica_peers (id, name, remote_name, cert_serial, cert_sha256, "
                   "created_unix_ns, cert_not_after_unix) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  Status st = insert.BindText(1, out.id);
  if (st.ok()) st = insert.BindText(2, out.name);
  if (st.ok()) st = insert.BindText(3, out.remote_name);
  if (st.ok()) st = insert.BindText(4, out.cert_serial);
  if (st.ok()) st = insert.BindText(5, out.cert_sha256);
  if (st.ok()) st = insert.BindInt64(6, out.created_unix_ns);
  if (st.ok()) st = insert.BindInt64(7, out.cert_not_after_unix);
  if (st.ok()) st = insert.Run();
  CAIRN_RETURN_IF_ERROR(st.WithContext("register peer " + out.id));
  CAIRN_RETURN_IF_ERROR(tx.Commit().WithContext("register peer " + out.id));
  return out;
}

Result<std::vector<Registry::PeerRecord>> Registry::ListPeers() {
  std::lock_guard<std::mutex> lock(mu_);
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt,
                         db_->Prepare(SelectPeers("ORDER BY created_unix_ns, id")));
  std::vector<PeerRecord> out;
  for (;;) {
    CAIRN_ASSIGN_OR_RETURN(bool has_row, stmt.Step());
    if (!has_row) break;
    CAIRN_ASSIGN_OR_RETURN(PeerRecord r, ReadPeerRow(stmt));
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::optional<Registry::PeerRecord>> Registry::FindPeer(std::string_view peer_id) {
  std::lock_guard<std::mutex> lock(mu_);
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt, db_->Prepare(SelectPeers("WHERE id = ?1")));
  CAIRN_RETURN_IF_ERROR(stmt.BindText(1, peer_id));
  return FindOne(stmt);
}

Result<std::optional<Registry::PeerRecord>> Registry::FindPeerBySerial(
    std::string_view cert_serial) {
  std::lock_guard<std::mutex> lock(mu_);
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement stmt, db_->Prepare(SelectPeers("WHERE cert_serial = ?1")));
  CAIRN_RETURN_IF_ERROR(stmt.BindText(1, cert_serial));
  return FindOne(stmt);
}

Status Registry::RevokePeer(std::string_view peer_id) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string what = "revoke peer " + std::string(peer_id);
  // The first revocation time is kept: it is when trust ended.
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement revoke,
                         db_->Prepare("UPDATE replica_peers SET revoked_unix_ns = "
                                      "coalesce(revoked_unix_ns, ?1) WHERE id = ?2"));
  Status st = revoke.BindInt64(1, clock_.NowUnixNanos());
  if (st.ok()) st = revoke.BindText(2, peer_id);
  if (st.ok()) st = revoke.Run();
  CAIRN_RETURN_IF_ERROR(st.WithContext(what));
  // A typo must not look like a revocation.
  if (db_->changes() == 0) return Status::NotFound(what + ": no such peer");
  return Status::Ok();
}

Status Registry::TouchPeer(std::string_view peer_id) {
  return TouchRow("replica_peers", "peer", peer_id, peer_seen_written_);
}

Status Registry::AddPeerHoldings(std::string_view peer_id, std::int64_t objects_delta,
                                 std::int64_t bytes_delta) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string what = "count objects of peer " + std::string(peer_id);
  CAIRN_ASSIGN_OR_RETURN(
      SqliteStatement add,
      db_->Prepare("UPDATE replica_peers SET objects_held = max(0, objects_held + ?1), "
                   "bytes_held = max(0, bytes_held + ?2), last_seen_unix_ns = ?3 WHERE id = ?4"));
  Status st = add.BindInt64(1, objects_delta);
  if (st.ok()) st = add.BindInt64(2, bytes_delta);
  if (st.ok()) st = add.BindInt64(3, clock_.NowUnixNanos());
  if (st.ok()) st = add.BindText(4, peer_id);
  if (st.ok()) st = add.Run();
  CAIRN_RETURN_IF_ERROR(st.WithContext(what));
  if (db_->changes() == 0) return Status::NotFound(what + ": no such peer");
  return Status::Ok();
}

}  // namespace cairn
