// The text forms of enrollment and API tokens, and their shared pieces
// (base64url, token ids, secret digests). No database.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "appliance/registry/api_token.h"
#include "core/protocol/enrollment_token.h"
#include "core/protocol/token_secret.h"

namespace cairn {
namespace {

Bytes Secret(std::uint8_t fill) { return Bytes(kTokenSecretBytes, fill); }

const std::string kPin = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

TEST_CASE("Base64url: round trips every length and matches RFC 4648 vectors", "[unit][registry]") {
  // RFC 4648 section 10, padding removed.
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    CHECK(Base64UrlEncode(AsBytes(plain)) == encoded);
    auto back = Base64UrlDecode(encoded);
    REQUIRE(back.has_value());
    CHECK(AsChars(*back) == plain);
  }
  // The url-safe characters are '-' and '_' (0xfb 0xff -> "-_8").
  const Bytes tricky = {0xfb, 0xff};
  CHECK(Base64UrlEncode(tricky) == "-_8");
  for (std::size_t n = 0; n < 70; ++n) {
    Bytes data(n);
    for (std::size_t i = 0; i < n; ++i) data[i] = static_cast<std::uint8_t>(i * 37 + n);
    auto back = Base64UrlDecode(Base64UrlEncode(data));
    REQUIRE(back.has_value());
    CHECK(*back == data);
  }
}

TEST_CASE("Base64url: padding, foreign alphabets and non-canonical endings are refused",
          "[unit][registry]") {
  CHECK_FALSE(Base64UrlDecode("Zg==").has_value());  // padding
  CHECK_FALSE(Base64UrlDecode("+/8").has_value());   // standard alphabet
  CHECK_FALSE(Base64UrlDecode("Zm9v Yg").has_value());
  CHECK_FALSE(Base64UrlDecode("Z").has_value());   // 1 mod 4: no byte string
  CHECK_FALSE(Base64UrlDecode("Zh").has_value());  // "Zg" with a non-zero unused bit
  CHECK(Base64UrlDecode("Zg").has_value());
}

TEST_CASE("Token secrets: ids are 16 hex digits, secrets 32 random bytes, digests compare",
          "[unit][registry]") {
  auto id = NewTokenId();
  REQUIRE(id.ok());
  CHECK(IsTokenId(*id));
  CHECK_FALSE(IsTokenId("0123456789ABCDEF"));  // uppercase is not what we make
  CHECK_FALSE(IsTokenId("0123456789abcde"));
  auto a = NewTokenSecret();
  auto b = NewTokenSecret();
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->size() == 32);
  CHECK(*a != *b);
  auto digest = DigestSecret(*a);
  REQUIRE(digest.ok());
  CHECK(*SecretMatches(*a, *digest));
  CHECK_FALSE(*SecretMatches(*b, *digest));
  CHECK_FALSE(*SecretMatches(*a, ByteSpan(digest->data(), 31)));
  // SHA-256("abc"), FIPS 180-2.
  auto abc = DigestSecret(AsBytes("abc"));
  REQUIRE(abc.ok());
  CHECK(ToHex(*abc) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("Enrollment token text: format and parse round trip, the CA pin travels inside",
          "[unit][registry]") {
  const Bytes secret = Secret(0x5a);
  auto text = FormatEnrollmentToken("00112233aabbccdd", secret, kPin);
  REQUIRE(text.ok());
  CHECK(*text == "cairn-enroll.v1.00112233aabbccdd." + Base64UrlEncode(secret) + "." + kPin);
  CHECK(Base64UrlEncode(secret).size() == 43);

  auto parsed = ParseEnrollmentToken(*text);
  INFO(parsed.status().ToString());
  REQUIRE(parsed.ok());
  CHECK(parsed->id == "00112233aabbccdd");
  CHECK(parsed->secret == secret);
  CHECK(parsed->ca_sha256_hex == kPin);

  // Pasted with a newline, and a pin given in uppercase: both accepted, the
  // pin normalized to lowercase.
  std::string upper = kPin;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto upper_text = FormatEnrollmentToken("00112233aabbccdd", secret, upper);
  REQUIRE(upper_text.ok());
  CHECK(*upper_text == *text);
  auto pasted = ParseEnrollmentToken("  " + *text + "\n");
  REQUIRE(pasted.ok());
  CHECK(pasted->secret == secret);

  CHECK(FormatEnrollmentToken("nothex", secret, kPin).status().IsInvalidArgument());
  CHECK(FormatEnrollmentToken("00112233aabbccdd", Bytes(31, 1), kPin).status().IsInvalidArgument());
  CHECK(FormatEnrollmentToken("00112233aabbccdd", secret, "abc").status().IsInvalidArgument());
}

TEST_CASE("Enrollment token text: garbage is refused, naming the field, never the secret",
          "[unit][registry]") {
  const std::string secret_text = Base64UrlEncode(Secret(0x33));
  const std::string good = "cairn-enroll.v1.00112233aabbccdd." + secret_text + "." + kPin;
  REQUIRE(ParseEnrollmentToken(good).ok());

  struct Case {
    std::string text;
    std::string expected;  // a piece of the message
  };
  const std::vector<Case> cases = {
      {"", "not a cairn enrollment token"},
      {"hello", "not a cairn enrollment token"},
      {"cairn-api.v1.00112233aabbccdd." + secret_text, "not a cairn enrollment token"},
      {"cairn-enroll", "version none is not supported"},
      {"cairn-enroll.v2.00112233aabbccdd." + secret_text + "." + kPin,
       "version v2 is not supported"},
      {"cairn-enroll.v1.00112233aabbccdd." + secret_text, "4 dot-separated fields instead of 5"},
      {good + ".extra", "6 dot-separated fields instead of 5"},
      {"cairn-enroll.v1.00112233AABBCCDD." + secret_text + "." + kPin, "token id"},
      {"cairn-enroll.v1.0011." + secret_text + "." + kPin, "token id"},
      {"cairn-enroll.v1.00112233aabbccdd." + secret_text + "=." + kPin, "secret (fourth field)"},
      {"cairn-enroll.v1.00112233aabbccdd." + secret_text.substr(1) + "." + kPin,
       "secret (fourth field)"},
      {"cairn-enroll.v1.00112233aabbccdd." + Base64UrlEncode(Bytes(31, 7)) + "." + kPin,
       "secret (fourth field)"},
      {"cairn-enroll.v1.00112233aabbccdd." + secret_text + "." + kPin.substr(1), "CA pin"},
      {"cairn-enroll.v1.00112233aabbccdd." + secret_text + "." + kPin.substr(1) + "g", "CA pin"},
      {std::string(100000, '.'), "far too long"},
  };
  for (const Case& c : cases) {
    INFO("text: " << c.text.substr(0, 120));
    auto parsed = ParseEnrollmentToken(c.text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().IsInvalidArgument());
    INFO("message: " << parsed.error().message());
    CHECK(parsed.error().message().find(c.expected) != std::string::npos);
    CHECK(parsed.error().message().find(secret_text.substr(0, 20)) == std::string::npos);
  }
}

TEST_CASE("API token text: round trip, and garbage is refused without the secret",
          "[unit][registry]") {
  const Bytes secret = Secret(0xa5);
  auto text = FormatApiToken("ffeeddccbbaa9988", secret);
  REQUIRE(text.ok());
  CHECK(*text == "cairn-api.v1.ffeeddccbbaa9988." + Base64UrlEncode(secret));
  auto parsed = ParseApiToken(*text + "\r\n");
  REQUIRE(parsed.ok());
  CHECK(parsed->id == "ffeeddccbbaa9988");
  CHECK(parsed->secret == secret);

  const std::string s = Base64UrlEncode(secret);
  for (const std::string& bad :
       {std::string("Bearer ") + *text, std::string("cairn-api.v9.ffeeddccbbaa9988.") + s,
        std::string("cairn-api.v1.ffeeddccbbaa9988"), *text + ".x",
        std::string("cairn-api.v1.xyz.") + s,
        std::string("cairn-api.v1.ffeeddccbbaa9988.") + s.substr(0, 42) + "!"}) {
    INFO(bad);
    auto p = ParseApiToken(bad);
    REQUIRE_FALSE(p.ok());
    CHECK(p.error().IsInvalidArgument());
    CHECK(p.error().message().find(s.substr(0, 20)) == std::string::npos);
  }
}

}  // namespace
}  // namespace cairn
