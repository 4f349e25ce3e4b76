#include "core/protocol/enrollment_token.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "core/protocol/token_secret.h"

namespace cairn {
namespace {

// Far above the real length (~143): the bound keeps a hostile input from
// being split or decoded at all.
constexpr std::size_t kMaxTokenTextBytes = 512;

constexpr std::string_view kShape =
    "expected cairn-enroll.v1.<token-id>.<secret>.<ca-sha256>, as printed by "
    "`cairnctl token create`";

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

bool IsSha256Hex(std::string_view hex) {
  return hex.size() == 64 &&
         std::all_of(hex.begin(), hex.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
}

Result<std::string> FormatEnrollmentToken(std::string_view id, ByteSpan secret,
                                          std::string_view ca_sha256_hex) {
  if (!IsTokenId(id)) {
    return Status::InvalidArgument("enrollment token id must be 16 lowercase hex digits");
  }
  if (secret.size() != kTokenSecretBytes) {
    return Status::InvalidArgument("enrollment token secret must be 32 bytes");
  }
  if (!IsSha256Hex(ca_sha256_hex)) {
    return Status::InvalidArgument(
        "CA pin must be the SHA-256 of the CA certificate as 64 hex digits, got \"" +
        std::string(ca_sha256_hex.substr(0, 80)) + "\"");
  }
  std::string text(kEnrollmentTokenPrefix);
  text += '.';
  text += kEnrollmentTokenVersion;
  text += '.';
  text += id;
  text += '.';
  text += Base64UrlEncode(secret);
  text += '.';
  text += Lower(ca_sha256_hex);
  return text;
}

Result<ParsedEnrollmentToken> ParseEnrollmentToken(std::string_view text) {
  if (text.size() > kMaxTokenTextBytes) {
    return Status::InvalidArgument("not a cairn enrollment token: " + std::to_string(text.size()) +
                                   " bytes is far too long; " + std::string(kShape));
  }
  const std::vector<std::string_view> f = SplitTokenText(text);
  if (f[0] != kEnrollmentTokenPrefix) {
    return Status::InvalidArgument(
        "not a cairn enrollment token (it does not start with "
        "\"cairn-enroll.\"); " +
        std::string(kShape));
  }
  // The version is checked before the field count, so a token from a newer
  // appliance gets an "upgrade" message rather than a shape complaint.
  if (f.size() < 2 || f[1] != kEnrollmentTokenVersion) {
    const std::string got = f.size() < 2 ? std::string("none") : std::string(f[1].substr(0, 16));
    return Status::InvalidArgument("enrollment token format version " + got +
                                   " is not supported (this cairn reads " +
                                   std::string(kEnrollmentTokenVersion) +
                                   "); create the token and run the agent with matching cairn "
                                   "versions");
  }
  if (f.size() != 5) {
    return Status::InvalidArgument("malformed enrollment token: " + std::to_string(f.size()) +
                                   " dot-separated fields instead of 5 (was it cut short when "
                                   "copied?); " +
                                   std::string(kShape));
  }
  ParsedEnrollmentToken out;
  if (!IsTokenId(f[2])) {
    return Status::InvalidArgument(
        "malformed enrollment token: the token id (third field) must be 16 lowercase hex digits");
  }
  out.id = std::string(f[2]);
  std::optional<Bytes> secret = Base64UrlDecode(f[3]);
  if (!secret || secret->size() != kTokenSecretBytes) {
    // The secret itself is never repeated in a message.
    return Status::InvalidArgument("malformed enrollment token " + out.id +
                                   ": the secret (fourth field) is not 43 base64url characters "
                                   "encoding 32 bytes");
  }
  out.secret = std::move(*secret);
  if (!IsSha256Hex(f[4])) {
    return Status::InvalidArgument("malformed enrollment token " + out.id +
                                   ": the CA pin (fifth field) is not 64 hex digits");
  }
  out.ca_sha256_hex = Lower(f[4]);
  return out;
}

}  // namespace cairn
