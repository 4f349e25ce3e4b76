// Enrollment tokens, `cairn-enroll.v1.<id>.<secret>.<ca-sha256>`: the
// pinned-token text form (pinned_token.h) of the kind that enrolls an agent,
// shared by the appliance (which makes and redeems tokens, registry.h) and
// the agent (which reads the CA pin out of it before it first connects).
//
// Thread-safety: free functions, safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "core/protocol/pinned_token.h"

namespace cairn {

inline constexpr std::string_view kEnrollmentTokenPrefix = kEnrollmentTokenKind.prefix;
inline constexpr std::string_view kEnrollmentTokenVersion = kPinnedTokenVersion;

using ParsedEnrollmentToken = ParsedPinnedToken;

inline Result<std::string> FormatEnrollmentToken(std::string_view id, ByteSpan secret,
                                                 std::string_view ca_sha256_hex) {
  return FormatPinnedToken(kEnrollmentTokenKind, id, secret, ca_sha256_hex);
}

inline Result<ParsedEnrollmentToken> ParseEnrollmentToken(std::string_view text) {
  return ParsePinnedToken(kEnrollmentTokenKind, text);
}

}  // namespace cairn
