// The text form of a one-time token that also pins the issuing appliance's
// CA, shared by the two kinds Cairn has:
//
//   cairn-enroll.v1.<token-id>.<secret-b64url>.<ca-sha256-hex>   enrolls an agent
//   cairn-pair.v1.<token-id>.<secret-b64url>.<ca-sha256-hex>     pairs a replication peer
//
//   token-id       16 lowercase hex digits (8 random bytes); names the token
//   secret-b64url  43 characters: 32 random bytes, base64url, no padding
//   ca-sha256-hex  64 lowercase hex digits: SHA-256 of the issuing appliance's
//                  CA certificate (DER), which the redeemer pins
//
// The CA pin travels inside the token, as kubeadm's discovery hash does: a
// client that holds only the token can authenticate the appliance on its
// first TLS connection, before it has any certificate of its own. The fields
// never contain '.', so splitting on it is unambiguous. The prefix tells the
// kinds apart, so a token of one kind is never accepted as the other.
// docs/formats.md documents the format.
//
// Thread-safety: free functions and constants, safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "core/base/bytes.h"
#include "core/base/status.h"

namespace cairn {

// What tells one kind of pinned token from another, and how messages about
// it read.
struct PinnedTokenKind {
  std::string_view prefix;          // first field: "cairn-enroll"
  std::string_view noun;            // "enrollment token", in messages
  std::string_view create_command;  // how a person gets a new one, in messages
};

inline constexpr std::string_view kPinnedTokenVersion = "v1";

inline constexpr PinnedTokenKind kEnrollmentTokenKind{"cairn-enroll", "enrollment token",
                                                      "`cairnctl token create`"};
inline constexpr PinnedTokenKind kPairingTokenKind{
    "cairn-pair", "pairing token",
    "`cairnctl peer token create` on the appliance that is to hold the replica"};

struct ParsedPinnedToken {
  std::string id;             // 16 lowercase hex digits
  Bytes secret;               // 32 bytes
  std::string ca_sha256_hex;  // 64 lowercase hex digits
};

// Builds the text form. `id` must satisfy IsTokenId, `secret` be 32 bytes and
// `ca_sha256_hex` 64 hex digits (either case; written lowercase).
Result<std::string> FormatPinnedToken(const PinnedTokenKind& kind, std::string_view id,
                                      ByteSpan secret, std::string_view ca_sha256_hex);

// Parses the text form of a token of `kind`; surrounding whitespace is
// ignored. InvalidArgument says which field is wrong and what was expected;
// messages never repeat the secret. Touches no database.
Result<ParsedPinnedToken> ParsePinnedToken(const PinnedTokenKind& kind, std::string_view text);

// Whether `hex` is 64 hex digits (a SHA-256 in hex, either case).
bool IsSha256Hex(std::string_view hex);

}  // namespace cairn
