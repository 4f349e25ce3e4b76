// The text form of an enrollment token, shared by the appliance (which makes
// and redeems tokens, registry.h) and the agent (which reads the CA pin out
// of it before it first connects).
//
//   cairn-enroll.v1.<token-id>.<secret-b64url>.<ca-sha256-hex>
//
//   token-id       16 lowercase hex digits (8 random bytes); names the token
//   secret-b64url  43 characters: 32 random bytes, base64url, no padding
//   ca-sha256-hex  64 lowercase hex digits: SHA-256 of the appliance CA
//                  certificate (DER), which the agent pins
//
// The CA pin travels inside the token, as kubeadm's discovery hash does: an
// agent that holds only the token can authenticate the appliance on its
// first TLS connection, before it has any certificate of its own. The fields
// never contain '.', so splitting on it is unambiguous. docs/formats.md
// documents the format.
//
// Thread-safety: free functions, safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "core/base/bytes.h"
#include "core/base/status.h"

namespace cairn {

inline constexpr std::string_view kEnrollmentTokenPrefix = "cairn-enroll";
inline constexpr std::string_view kEnrollmentTokenVersion = "v1";

struct ParsedEnrollmentToken {
  std::string id;             // 16 lowercase hex digits
  Bytes secret;               // 32 bytes
  std::string ca_sha256_hex;  // 64 lowercase hex digits
};

// Builds the text form. `id` must satisfy IsTokenId, `secret` be 32 bytes and
// `ca_sha256_hex` 64 hex digits (either case; written lowercase).
Result<std::string> FormatEnrollmentToken(std::string_view id, ByteSpan secret,
                                          std::string_view ca_sha256_hex);

// Parses the text form; surrounding whitespace is ignored. InvalidArgument
// says which field is wrong and what was expected; messages never repeat the
// secret. Touches no database.
Result<ParsedEnrollmentToken> ParseEnrollmentToken(std::string_view text);

// Whether `hex` is 64 hex digits (a SHA-256 in hex, either case).
bool IsSha256Hex(std::string_view hex);

}  // namespace cairn
