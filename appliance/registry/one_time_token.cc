#include "appliance/registry/one_time_token.h"

#include "appliance/registry/registry_util.h"
#include "core/catalog/sqlite_db.h"
#include "core/catalog/sqlite_statement.h"

namespace cairn {

Result<MintedToken> MintOneTimeToken(const PinnedTokenKind& kind, std::chrono::seconds ttl,
                                     std::string_view ca_sha256_hex, std::string_view created_by) {
  const std::string noun(kind.noun);
  if (ttl < std::chrono::seconds(1) || ttl > kMaxOneTimeTokenTtl) {
    return Status::InvalidArgument(noun + " lifetime " + std::to_string(ttl.count()) +
                                   "s is out of range: use 1s to 3650d (e.g. 24h)");
  }
  if (!IsSha256Hex(ca_sha256_hex)) {
    return Status::InvalidArgument(
        "CA pin must be the SHA-256 of the appliance CA certificate as 64 hex digits");
  }
  if (created_by.empty()) {
    return Status::InvalidArgument(noun + ": created_by (who asked for it) is empty");
  }
  MintedToken out;
  CAIRN_ASSIGN_OR_RETURN(out.id, NewTokenId());
  CAIRN_ASSIGN_OR_RETURN(Bytes secret, NewTokenSecret());
  CAIRN_ASSIGN_OR_RETURN(out.digest, DigestSecret(secret));
  CAIRN_ASSIGN_OR_RETURN(out.text, FormatPinnedToken(kind, out.id, secret, ca_sha256_hex));
  return out;
}

Status InsertOneTimeToken(SqliteDb& db, const OneTimeTokenTable& t, const MintedToken& token,
                          std::string_view subject, std::int64_t now_unix_ns,
                          std::int64_t expires_unix_ns, std::string_view created_by) {
  CAIRN_ASSIGN_OR_RETURN(
      SqliteStatement add,
      db.Prepare(
          "INSERT INTO " + std::string(t.table) + " (id, secret_sha256, " +
          std::string(t.subject_column) +
          ", created_unix_ns, expires_unix_ns, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
  Status st = add.BindText(1, token.id);
  if (st.ok()) st = add.BindBlob(2, token.digest);
  if (st.ok()) st = add.BindText(3, subject);
  if (st.ok()) st = add.BindInt64(4, now_unix_ns);
  if (st.ok()) st = add.BindInt64(5, expires_unix_ns);
  if (st.ok()) st = add.BindText(6, created_by);
  if (st.ok()) st = add.Run();
  return st.WithContext("create " + std::string(t.kind.noun));
}

Result<RedeemableToken> CheckRedeemable(SqliteDb& db, const OneTimeTokenTable& t,
                                        std::string_view token_text, std::int64_t now_unix_ns) {
  auto parsed = ParsePinnedToken(t.kind, token_text);
  // A malformed token is refused like any other bad credential.
  if (!parsed.ok()) return Status::PermissionDenied(parsed.error().message());
  RedeemableToken out;
  out.id = parsed->id;
  out.what = std::string(t.kind.noun) + " " + out.id;
  CAIRN_ASSIGN_OR_RETURN(
      SqliteStatement find,
      db.Prepare("SELECT secret_sha256, " + std::string(t.subject_column) +
                 ", expires_unix_ns, used_unix_ns, " + std::string(t.used_by_column) + " FROM " +
                 std::string(t.table) + " WHERE id = ?1"));
  CAIRN_RETURN_IF_ERROR(find.BindText(1, out.id));
  CAIRN_ASSIGN_OR_RETURN(bool found, find.Step());
  if (!found) {
    return Status::PermissionDenied(out.what +
                                    " is unknown to this appliance (created on another "
                                    "appliance, or its text was altered); create a new one with " +
                                    std::string(t.kind.create_command));
  }
  // The secret is checked before anything else about the token is revealed.
  CAIRN_ASSIGN_OR_RETURN(bool secret_ok, SecretMatches(parsed->secret, find.ColumnBlob(0)));
  if (!secret_ok) {
    return Status::PermissionDenied(out.what +
                                    ": wrong secret (the token text was altered or mistyped); "
                                    "copy it again, or create a new token");
  }
  if (!find.ColumnIsNull(3)) {
    return Status::PermissionDenied(out.what + " was already used at " +
                                    FormatUtc(find.ColumnInt64(3)) + " by " +
                                    std::string(t.used_by_noun) + " " + find.ColumnText(4) + "; " +
                                    std::string(t.one_use) + ": create a new one");
  }
  const std::int64_t expires = find.ColumnInt64(2);
  if (now_unix_ns >= expires) {
    return Status::PermissionDenied(out.what + " expired at " + FormatUtc(expires) +
                                    "; create a new one");
  }
  out.subject = find.ColumnText(1);
  return out;
}

Status MarkOneTimeTokenUsed(SqliteDb& db, const OneTimeTokenTable& t, const RedeemableToken& token,
                            std::string_view user, std::int64_t now_unix_ns) {
  CAIRN_ASSIGN_OR_RETURN(
      SqliteStatement use,
      db.Prepare("UPDATE " + std::string(t.table) + " SET used_unix_ns = ?1, " +
                 std::string(t.used_by_column) + " = ?2 WHERE id = ?3 AND used_unix_ns IS NULL"));
  Status st = use.BindInt64(1, now_unix_ns);
  if (st.ok()) st = use.BindText(2, user);
  if (st.ok()) st = use.BindText(3, token.id);
  if (st.ok()) st = use.Run();
  CAIRN_RETURN_IF_ERROR(st);
  // Unreachable while the caller's transaction holds the write lock; kept so
  // that single use never rests on the locking alone.
  if (db.changes() != 1) return Status::PermissionDenied(token.what + " was already used");
  return Status::Ok();
}

}  // namespace cairn
