#include "appliance/registry/api_token.h"

#include <vector>

#include "core/protocol/token_secret.h"

namespace cairn {
namespace {

constexpr std::size_t kMaxTokenTextBytes = 512;  // the real length is 73

constexpr std::string_view kShape =
    "expected cairn-api.v1.<token-id>.<secret>, as printed once when the token was created";

}  // namespace

Result<std::string> FormatApiToken(std::string_view id, ByteSpan secret) {
  if (!IsTokenId(id)) {
    return Status::InvalidArgument("API token id must be 16 lowercase hex digits");
  }
  if (secret.size() != kTokenSecretBytes) {
    return Status::InvalidArgument("API token secret must be 32 bytes");
  }
  std::string text(kApiTokenPrefix);
  text += '.';
  text += kApiTokenVersion;
  text += '.';
  text += id;
  text += '.';
  text += Base64UrlEncode(secret);
  return text;
}

Result<ParsedApiToken> ParseApiToken(std::string_view text) {
  if (text.size() > kMaxTokenTextBytes) {
    return Status::InvalidArgument("not a cairn API token: far too long; " + std::string(kShape));
  }
  const std::vector<std::string_view> f = SplitTokenText(text);
  if (f[0] != kApiTokenPrefix) {
    return Status::InvalidArgument(
        "not a cairn API token (it does not start with "
        "\"cairn-api.\"); " +
        std::string(kShape));
  }
  if (f.size() < 2 || f[1] != kApiTokenVersion) {
    return Status::InvalidArgument(
        "API token format version " +
        (f.size() < 2 ? std::string("none") : std::string(f[1].substr(0, 16))) +
        " is not supported (this cairn reads " + std::string(kApiTokenVersion) + ")");
  }
  if (f.size() != 4) {
    return Status::InvalidArgument("malformed API token: " + std::to_string(f.size()) +
                                   " dot-separated fields instead of 4; " + std::string(kShape));
  }
  if (!IsTokenId(f[2])) {
    return Status::InvalidArgument(
        "malformed API token: the token id (third field) must be 16 lowercase hex digits");
  }
  ParsedApiToken out;
  out.id = std::string(f[2]);
  std::optional<Bytes> secret = Base64UrlDecode(f[3]);
  if (!secret || secret->size() != kTokenSecretBytes) {
    return Status::InvalidArgument("malformed API token " + out.id +
                                   ": the secret (fourth field) is not 43 base64url characters "
                                   "encoding 32 bytes");
  }
  out.secret = std::move(*secret);
  return out;
}

}  // namespace cairn
