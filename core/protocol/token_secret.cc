#include "core/protocol/token_secret.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/crypto/random.h"

namespace cairn {
namespace {

constexpr char kBase64UrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int Base64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

}  // namespace

Result<Bytes> NewTokenSecret() {
  Bytes secret(kTokenSecretBytes);
  CAIRN_RETURN_IF_ERROR(FillRandom(secret));
  return secret;
}

Result<std::string> NewTokenId() {
  std::array<std::uint8_t, kTokenIdBytes> raw{};
  CAIRN_RETURN_IF_ERROR(FillRandom(raw));
  return ToHex(raw);
}

bool IsTokenId(std::string_view id) {
  if (id.size() != 2 * kTokenIdBytes) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<SecretDigest> DigestSecret(ByteSpan secret) {
  SecretDigest digest{};
  unsigned int len = 0;
  // EVP_Digest is a one-shot over the default provider's SHA-256; it fails
  // only when the provider cannot be loaded or memory runs out.
  if (EVP_Digest(secret.data(), secret.size(), digest.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != digest.size()) {
    return Status::IoError("SHA-256 of a token secret failed (OpenSSL)");
  }
  return digest;
}

Result<bool> SecretMatches(ByteSpan secret, ByteSpan stored_digest) {
  CAIRN_ASSIGN_OR_RETURN(SecretDigest digest, DigestSecret(secret));
  // Lengths are not secret (the schema fixes 32); only the content is.
  if (stored_digest.size() != digest.size()) return false;
  return CRYPTO_memcmp(digest.data(), stored_digest.data(), digest.size()) == 0;
}

std::string Base64UrlEncode(ByteSpan data) {
  std::string out;
  out.reserve((data.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) |
                            std::uint32_t{data[i + 2]};
    out += kBase64UrlAlphabet[(v >> 18) & 63];
    out += kBase64UrlAlphabet[(v >> 12) & 63];
    out += kBase64UrlAlphabet[(v >> 6) & 63];
    out += kBase64UrlAlphabet[v & 63];
  }
  const std::size_t rest = data.size() - i;
  if (rest == 1) {
    const std::uint32_t v = std::uint32_t{data[i]} << 16;
    out += kBase64UrlAlphabet[(v >> 18) & 63];
    out += kBase64UrlAlphabet[(v >> 12) & 63];
  } else if (rest == 2) {
    const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
    out += kBase64UrlAlphabet[(v >> 18) & 63];
    out += kBase64UrlAlphabet[(v >> 12) & 63];
    out += kBase64UrlAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::optional<Bytes> Base64UrlDecode(std::string_view text) {
  // A length of 1 mod 4 cannot come from any byte string.
  if (text.size() % 4 == 1) return std::nullopt;
  Bytes out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = Base64UrlValue(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(acc >> bits));
      acc &= (1u << bits) - 1;
    }
  }
  // Leftover bits (2 or 4) must be zero: otherwise two texts would decode
  // to the same bytes.
  if (acc != 0) return std::nullopt;
  return out;
}

std::vector<std::string_view> SplitTokenText(std::string_view text) {
  while (!text.empty() && IsAsciiSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsAsciiSpace(text.back())) text.remove_suffix(1);
  std::vector<std::string_view> fields;
  for (;;) {
    const std::size_t dot = text.find('.');
    fields.push_back(text.substr(0, dot));
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
  }
  return fields;
}

}  // namespace cairn
