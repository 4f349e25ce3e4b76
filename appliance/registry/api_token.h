// The text form of an admin API bearer token (registry.h makes and checks
// them; cairnctl and the dashboard send them as "Authorization: Bearer").
//
//   cairn-api.v1.<token-id>.<secret-b64url>
//
//   token-id       16 lowercase hex digits (8 random bytes); names the token
//                  in `cairnctl token list`, revocations and the audit log
//   secret-b64url  43 characters: 32 random bytes, base64url, no padding
//
// The prefix makes a leaked token recognisable to secret scanners and to a
// person reading a log. docs/formats.md documents the format.
//
// Thread-safety: free functions, safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "core/base/bytes.h"
#include "core/base/status.h"

namespace cairn {

inline constexpr std::string_view kApiTokenPrefix = "cairn-api";
inline constexpr std::string_view kApiTokenVersion = "v1";

struct ParsedApiToken {
  std::string id;  // 16 lowercase hex digits
  Bytes secret;    // 32 bytes
};

// `id` must satisfy IsTokenId and `secret` be 32 bytes.
Result<std::string> FormatApiToken(std::string_view id, ByteSpan secret);

// Parses the text form; surrounding whitespace is ignored. InvalidArgument
// says what is wrong without repeating the secret.
Result<ParsedApiToken> ParseApiToken(std::string_view text);

}  // namespace cairn
