#include "core/protocol/pinned_token.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "core/protocol/token_secret.h"

namespace cairn {
namespace {

// Far above the real length (~143): the bound keeps a hostile input from
// being split or decoded at all.
constexpr std::size_t kMaxTokenTextBytes = 512;

std::string Shape(const PinnedTokenKind& kind) {
  return "expected " + std::string(kind.prefix) + "." + std::string(kPinnedTokenVersion) +
         ".<token-id>.<secret>.<ca-sha256>, as printed by " + std::string(kind.create_command);
}

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

Result<std::string> FormatPinnedToken(const PinnedTokenKind& kind, std::string_view id,
                                      ByteSpan secret, std::string_view ca_sha256_hex) {
  const std::string noun(kind.noun);
  if (!IsTokenId(id)) {
    return Status::InvalidArgument(noun + " id must be 16 lowercase hex digits");
  }
  if (secret.size() != kTokenSecretBytes) {
    return Status::InvalidArgument(noun + " secret must be 32 bytes");
  }
  if (!IsSha256Hex(ca_sha256_hex)) {
    return Status::InvalidArgument(
        "CA pin must be the SHA-256 of the CA certificate as 64 hex digits, got \"" +
        std::string(ca_sha256_hex.substr(0, 80)) + "\"");
  }
  std::string text(kind.prefix);
  text += '.';
  text += kPinnedTokenVersion;
  text += '.';
  text += id;
  text += '.';
  text += Base64UrlEncode(secret);
  text += '.';
  text += Lower(ca_sha256_hex);
  return text;
}

Result<ParsedPinnedToken> ParsePinnedToken(const PinnedTokenKind& kind, std::string_view text) {
  const std::string noun(kind.noun);
  if (text.size() > kMaxTokenTextBytes) {
    return Status::InvalidArgument("not a cairn " + noun + ": " + std::to_string(text.size()) +
                                   " bytes is far too long; " + Shape(kind));
  }
  const std::vector<std::string_view> f = SplitTokenText(text);
  if (f[0] != kind.prefix) {
    return Status::InvalidArgument("not a cairn " + noun + " (it does not start with \"" +
                                   std::string(kind.prefix) + ".\"); " + Shape(kind));
  }
  // The version is checked before the field count, so a token from a newer
  // appliance gets an "upgrade" message rather than a shape complaint.
  if (f.size() < 2 || f[1] != kPinnedTokenVersion) {
    const std::string got = f.size() < 2 ? std::string("none") : std::string(f[1].substr(0, 16));
    return Status::InvalidArgument(noun + " format version " + got +
                                   " is not supported (this cairn reads " +
                                   std::string(kPinnedTokenVersion) +
                                   "); create the token and redeem it with matching cairn "
                                   "versions");
  }
  if (f.size() != 5) {
    return Status::InvalidArgument("malformed " + noun + ": " + std::to_string(f.size()) +
                                   " dot-separated fields instead of 5 (was it cut short when "
                                   "copied?); " +
                                   Shape(kind));
  }
  ParsedPinnedToken out;
  if (!IsTokenId(f[2])) {
    return Status::InvalidArgument("malformed " + noun +
                                   ": the token id (third field) must be 16 lowercase hex digits");
  }
  out.id = std::string(f[2]);
  std::optional<Bytes> secret = Base64UrlDecode(f[3]);
  if (!secret || secret->size() != kTokenSecretBytes) {
    // The secret itself is never repeated in a message.
    return Status::InvalidArgument("malformed " + noun + " " + out.id +
                                   ": the secret (fourth field) is not 43 base64url characters "
                                   "encoding 32 bytes");
  }
  out.secret = std::move(*secret);
  if (!IsSha256Hex(f[4])) {
    return Status::InvalidArgument("malformed " + noun + " " + out.id +
                                   ": the CA pin (fifth field) is not 64 hex digits");
  }
  out.ca_sha256_hex = Lower(f[4]);
  return out;
}

}  // namespace cairn
