// What the registry's two kinds of one-time, CA-pinning tokens share --
// enrollment tokens (registry.cc, table enrollment_tokens) and pairing
// tokens (registry_peers.cc, table pairing_tokens): minting one (checked
// lifetime, pin and actor; fresh id and secret; the text to show once and
// the digest to store), storing it, and redeeming it: the checks in the
// order that reveals nothing to whoever lacks the secret, then the
// conditional UPDATE that makes it single-use.
// Internal to appliance/registry. The catalog calls run inside the caller's
// transaction (redemption: BEGIN IMMEDIATE, held from the read to the UPDATE).
// Thread-safety: as the SqliteDb passed in (the registry's mutex).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/protocol/pinned_token.h"
#include "core/protocol/token_secret.h"

namespace cairn {

class SqliteDb;

// Tokens that live for years are standing credentials, not one-time tokens;
// the bound also keeps now + ttl far from int64 overflow.
inline constexpr std::chrono::seconds kMaxOneTimeTokenTtl{3650LL * 24 * 3600};

// A kind of token and where it lives in the catalog. Both tables have the
// columns id, secret_sha256, <subject>, created_unix_ns, expires_unix_ns,
// used_unix_ns, <used_by>, created_by.
struct OneTimeTokenTable {
  PinnedTokenKind kind;
  std::string_view table;           // "enrollment_tokens"
  std::string_view subject_column;  // what redeeming grants: "cluster"
  std::string_view used_by_column;  // "used_by_agent"
  std::string_view used_by_noun;    // "agent", in "already used ... by agent X"
  std::string_view one_use;         // "a token enrolls one agent only", in messages
};

inline constexpr OneTimeTokenTable kEnrollmentTokens{kEnrollmentTokenKind,
                                                     "enrollment_tokens",
                                                     "cluster",
                                                     "used_by_agent",
                                                     "agent",
                                                     "a token enrolls one agent only"};
inline constexpr OneTimeTokenTable kPairingTokens{
    kPairingTokenKind, "pairing_tokens", "peer_name",
    "used_by_peer",    "peer",           "a token pairs one peer only"};

struct MintedToken {
  std::string id;       // 16 hex digits
  SecretDigest digest;  // SHA-256 of the secret: what the catalog keeps
  std::string text;     // the token text, secret included: shown once
};

// InvalidArgument for a ttl outside 1 s..3650 days, a pin that is not 64 hex
// digits, an empty created_by (every token names who asked for it).
Result<MintedToken> MintOneTimeToken(const PinnedTokenKind& kind, std::chrono::seconds ttl,
                                     std::string_view ca_sha256_hex, std::string_view created_by);

// Inserts a minted token granting `subject`, valid from now_unix_ns until
// expires_unix_ns.
Status InsertOneTimeToken(SqliteDb& db, const OneTimeTokenTable& t, const MintedToken& token,
                          std::string_view subject, std::int64_t now_unix_ns,
                          std::int64_t expires_unix_ns, std::string_view created_by);

struct RedeemableToken {
  std::string id;       // the token id
  std::string subject;  // what it grants (the cluster, the peer name)
  std::string what;     // "enrollment token <id>", for the caller's messages
};
// Parses `token_text` and checks it against its row: PermissionDenied, each
// with its own message, for malformed text, an unknown id, a wrong secret
// (checked first: nothing else is revealed without it), a used token (when,
// by whom) and an expired one (when). Changes nothing.
Result<RedeemableToken> CheckRedeemable(SqliteDb& db, const OneTimeTokenTable& t,
                                        std::string_view token_text, std::int64_t now_unix_ns);

// Marks the token used by `user` (UPDATE ... WHERE used_unix_ns IS NULL);
// PermissionDenied if no row changed, so single use never rests on the
// transaction's lock alone.
Status MarkOneTimeTokenUsed(SqliteDb& db, const OneTimeTokenTable& t, const RedeemableToken& token,
                            std::string_view user, std::int64_t now_unix_ns);

}  // namespace cairn
