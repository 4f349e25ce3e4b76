// The pieces both bearer-token text formats share (enrollment tokens,
// enrollment_token.h; API tokens, api_token.h): random token ids and secrets,
// base64url, and the stored form of a secret (its SHA-256), compared in
// constant time.
//
// A secret is shown to a person once, inside the token text, and never
// stored: the registry keeps SHA-256(secret). 32 random bytes make brute
// force hopeless, so a plain hash (no salt, no slow KDF) is enough, and it
// keeps authentication one cheap hash per request.
//
// Thread-safety: free functions, safe from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/status.h"

namespace cairn {

inline constexpr std::size_t kTokenSecretBytes = 32;
inline constexpr std::size_t kTokenIdBytes = 8;  // shown as 16 lowercase hex digits

using SecretDigest = std::array<std::uint8_t, 32>;

// 32 bytes from the DRBG (core/crypto/random.h).
Result<Bytes> NewTokenSecret();
// 8 random bytes as 16 lowercase hex digits. Ids are not secret: they name a
// token in lists, revocations and the audit log.
Result<std::string> NewTokenId();
// True for exactly 16 lowercase hex digits (what NewTokenId makes).
bool IsTokenId(std::string_view id);

// SHA-256 of `secret` (the stored form).
Result<SecretDigest> DigestSecret(ByteSpan secret);
// Whether SHA-256(secret) equals `stored_digest`, in time independent of
// where they differ (CRYPTO_memcmp). A stored digest of the wrong length never
// matches.
Result<bool> SecretMatches(ByteSpan secret, ByteSpan stored_digest);

// Base64url without padding (RFC 4648 section 5), as used in token text.
std::string Base64UrlEncode(ByteSpan data);
// Strict: only the url-safe alphabet, no padding, no whitespace, and unused
// trailing bits must be zero (so each byte string has exactly one text form
// and a tampered last character is not silently accepted).
std::optional<Bytes> Base64UrlDecode(std::string_view text);

// Splits token text on '.', after trimming surrounding ASCII whitespace (a
// token pasted from a terminal often carries a newline).
std::vector<std::string_view> SplitTokenText(std::string_view text);

}  // namespace cairn
