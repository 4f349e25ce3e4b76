// SigV4 against published values: the four S3 examples of the AWS
// documentation ("Signature Calculations for the Authorization Header:
// Transferring Payload in a Single Chunk", example credentials
// AKIAIOSFODNN7EXAMPLE, 2013-05-24), and one request shaped as S3Client
// sends it, signed by botocore's S3SigV4Auth (python3-botocore 1.43).
#include "sync/s3/sigv4.h"

#include <catch2/catch.hpp>
#include <string>

namespace cairn {
namespace {

const SigV4Credentials kAwsExample{"AKIAIOSFODNN7EXAMPLE",
                                   "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::int64_t k20130524 = 1369353600;  // 2013-05-24T00:00:00Z

// A request to the documentation's examplebucket, dated as its examples.
SigV4Request Example(std::string method, std::string uri, HttpParams query,
                     HttpParams extra_headers, std::string payload_sha256) {
  SigV4Request r{std::move(method), std::move(uri), std::move(query), std::move(extra_headers),
                 payload_sha256};
  r.headers.emplace_back("Host", "examplebucket.s3.amazonaws.com");
  r.headers.emplace_back("x-amz-date", "20130524T000000Z");
  r.headers.emplace_back("x-amz-content-sha256", payload_sha256);
  return r;
}

std::string Signature(const SigV4Request& r, const SigV4Credentials& c = kAwsExample,
                      std::string_view region = "us-east-1",
                      std::string_view date = "20130524T000000Z") {
  auto auth = SigV4Authorization(c, region, date, r);
  REQUIRE(auth.ok());
  const std::size_t at = auth->find("Signature=");
  REQUIRE(at != std::string::npos);
  return auth->substr(at + 10);
}

TEST_CASE("SigV4: the AWS documentation's GET Object example signs to its published signature",
          "[unit][s3]") {
  const SigV4Request r =
      Example("GET", "/test.txt", {}, {{"Range", "bytes=0-9"}}, std::string(kEmptySha256));
  CHECK(CanonicalRequest(r) ==
        "GET\n"
        "/test.txt\n"
        "\n"
        "host:examplebucket.s3.amazonaws.com\n"
        "range:bytes=0-9\n"
        "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        "x-amz-date:20130524T000000Z\n"
        "\n"
        "host;range;x-amz-content-sha256;x-amz-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  auto to_sign = StringToSign("20130524T000000Z", "us-east-1", CanonicalRequest(r));
  REQUIRE(to_sign.ok());
  CHECK(*to_sign ==
        "AWS4-HMAC-SHA256\n"
        "20130524T000000Z\n"
        "20130524/us-east-1/s3/aws4_request\n"
        "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  auto auth = SigV4Authorization(kAwsExample, "us-east-1", "20130524T000000Z", r);
  REQUIRE(auth.ok());
  CHECK(*auth ==
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST_CASE("SigV4: the published PUT Object, GET lifecycle and list examples sign as documented",
          "[unit][s3]") {
  auto payload = PayloadSha256Hex(AsBytes(std::string_view("Welcome to Amazon S3.")));
  REQUIRE(payload.ok());
  CHECK(*payload == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  // '$' in the key is encoded once in the canonical URI.
  const SigV4Request put = Example(
      "PUT", UriEncodePath("/test$file.text"), {},
      {{"Date", "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
      *payload);
  CHECK(put.canonical_uri == "/test%24file.text");
  CHECK(Signature(put) == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");

  const SigV4Request lifecycle =
      Example("GET", "/", {{"lifecycle", ""}}, {}, std::string(kEmptySha256));
  CHECK(Signature(lifecycle) == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");

  const SigV4Request list =
      Example("GET", "/", {{"prefix", "J"}, {"max-keys", "2"}}, {}, std::string(kEmptySha256));
  CHECK(Signature(list) == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST_CASE("SigV4: an upload as S3Client sends it signs as botocore's S3SigV4Auth does",
          "[unit][s3]") {
  const Bytes body{'h', 'e', 'l', 'l', 'o'};
  auto sha = PayloadSha256Hex(body);
  auto md5 = ContentMd5Base64(body);
  REQUIRE(sha.ok());
  REQUIRE(md5.ok());
  CHECK(*md5 == "XUFAKrxLKna5cZ2REBfFkg==");
  const std::string date = AmzDate(1795496767);
  CHECK(date == "20261124T050607Z");
  SigV4Request r{"PUT",
                 "/cairn-b" + std::string("/") + UriEncodePath("site a/chunks/ab/x+y~z"),
                 {{"uploadId", "2~abc/def=+"}, {"partNumber", "2"}},
                 {{"Content-MD5", *md5},
                  {"x-amz-object-lock-mode", "COMPLIANCE"},
                  {"x-amz-object-lock-retain-until-date", "2030-01-02T03:04:05Z"},
                  {"host", "127.0.0.1:7480"},
                  {"x-amz-content-sha256", *sha},
                  {"x-amz-date", date}},
                 *sha};
  CHECK(r.canonical_uri == "/cairn-b/site%20a/chunks/ab/x%2By~z");
  CHECK(CanonicalQueryString(r.query) == "partNumber=2&uploadId=2~abc%2Fdef%3D%2B");
  CHECK(SignedHeaders(r.headers) ==
        "content-md5;host;x-amz-content-sha256;x-amz-date;x-amz-object-lock-mode;"
        "x-amz-object-lock-retain-until-date");
  CHECK(Signature(r, {"testaccesskey", "testsecretkey"}, "eu-central-1", date) ==
        "f6e479ba8e0cf39ba2d6afef9ab75caf81ac8410316d25bac57c5de47cde55eb");
}

TEST_CASE("SigV4: every covered part of a request changes the signature", "[unit][s3]") {
  const SigV4Request base = Example("PUT", "/bucket/key", {{"partNumber", "1"}},
                                    {{"Content-MD5", "abc"}}, std::string(kEmptySha256));
  const std::string signature = Signature(base);
  auto changed = [&](auto&& mutate) {
    SigV4Request r = base;
    mutate(r);
    return Signature(r) != signature;
  };
  CHECK(changed([](SigV4Request& r) { r.method = "POST"; }));
  CHECK(changed([](SigV4Request& r) { r.canonical_uri = "/bucket/kez"; }));
  CHECK(changed([](SigV4Request& r) { r.query[0].second = "2"; }));
  CHECK(changed([](SigV4Request& r) { r.headers[0].second = "abd"; }));
  CHECK(changed([](SigV4Request& r) { r.payload_sha256_hex[0] = 'f'; }));
  CHECK(Signature(base, {"AKIAIOSFODNN7EXAMPLE", "another-secret"}) != signature);
  CHECK(Signature(base, kAwsExample, "eu-west-1") != signature);
  CHECK(Signature(base, kAwsExample, "us-east-1", "20130525T000000Z") != signature);
}

TEST_CASE("SigV4: URI encoding keeps unreserved characters and encodes everything else once",
          "[unit][s3]") {
  CHECK(UriEncode("AZaz09-_.~") == "AZaz09-_.~");
  CHECK(UriEncode("a b/c+=&?%") == "a%20b%2Fc%2B%3D%26%3F%25");
  CHECK(UriEncode("\xc3\xbc") == "%C3%BC");  // UTF-8 bytes, upper-case hex
  CHECK(UriEncodePath("dir/a b/x") == "dir/a%20b/x");
  CHECK(UriEncodePath("/lead//double/") == "/lead//double/");
  // A key is raw text: a '%' in it is a character, encoded, never decoded.
  CHECK(UriEncodePath("100%41") == "100%2541");
}

TEST_CASE("SigV4: the query is sorted by encoded name and a bare subresource signs as name=",
          "[unit][s3]") {
  CHECK(CanonicalQueryString({}) == "");
  CHECK(CanonicalQueryString({{"uploads", ""}}) == "uploads=");
  CHECK(CanonicalQueryString({{"prefix", "J"}, {"max-keys", "2"}, {"list-type", "2"}}) ==
        "list-type=2&max-keys=2&prefix=J");
  CHECK(CanonicalQueryString({{"continuation-token", "a b/c"}}) == "continuation-token=a%20b%2Fc");
}

TEST_CASE("SigV4: header names are lowercased, values trimmed and inner spaces collapsed",
          "[unit][s3]") {
  SigV4Request r{"GET", "/", {}, {{"X-Amz-Meta-A", "  a   b  "}, {"Host", "h"}}, "x"};
  CHECK(CanonicalRequest(r) == "GET\n/\n\nhost:h\nx-amz-meta-a:a b\n\nhost;x-amz-meta-a\nx");
  CHECK(AmzDate(k20130524) == "20130524T000000Z");
  auto empty = PayloadSha256Hex({});
  REQUIRE(empty.ok());
  CHECK(*empty == kEmptySha256);
}

}  // namespace
}  // namespace cairn
