#include "sync/s3/s3_error.h"

#include <catch2/catch.hpp>
#include <string>

namespace cairn {
namespace {

bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

Status Map(unsigned http_status, std::string code, std::string message = "",
           std::string region = "") {
  const S3ErrorContext context{"PUT s3://replica/config", "replica", "http://127.0.0.1:7480",
                               "/etc/cairn/s3.toml"};
  return S3ErrorToStatus(
      S3Error{http_status, std::move(code), std::move(message), std::move(region)}, context);
}

TEST_CASE("S3 errors: refused credentials are PermissionDenied naming the credentials file",
          "[unit][s3]") {
  for (const char* code : {"SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied", ""}) {
    INFO(code);
    Status s = Map(403, code, "The request signature we calculated does not match");
    CHECK(s.IsPermissionDenied());
    CHECK_FALSE(s.retryable());
    CHECK(Contains(s.message(), "PUT s3://replica/config: HTTP 403"));
    CHECK(Contains(s.message(), code));
    CHECK(Contains(s.message(), "check access_key/secret_key in /etc/cairn/s3.toml"));
  }
  Status skew = Map(403, "RequestTimeTooSkewed");
  CHECK(skew.IsPermissionDenied());
  CHECK(Contains(skew.message(), "clock"));
}

TEST_CASE("S3 errors: a missing bucket is InvalidArgument naming it and what to do", "[unit][s3]") {
  Status s = Map(404, "NoSuchBucket", "The specified bucket does not exist");
  CHECK(s.IsInvalidArgument());
  CHECK(Contains(s.message(), "bucket 'replica' does not exist at http://127.0.0.1:7480"));
  CHECK(Contains(s.message(), "create it or fix the target"));
}

TEST_CASE("S3 errors: overload, server errors and damaged bodies are retryable", "[unit][s3]") {
  CHECK(Map(503, "SlowDown").retryable());
  CHECK(Map(500, "").retryable());
  CHECK(Map(502, "").retryable());
  CHECK(Map(429, "").retryable());
  CHECK(Map(400, "RequestTimeout").retryable());
  CHECK(Map(400, "BadDigest").retryable());
  CHECK(Map(400, "XAmzContentSHA256Mismatch").retryable());
  CHECK(Map(409, "OperationAborted").retryable());
}

TEST_CASE("S3 errors: absent objects are NotFound, other refusals InvalidArgument", "[unit][s3]") {
  CHECK(Map(404, "NoSuchKey").IsNotFound());
  CHECK(Map(404, "").IsNotFound());
  CHECK(Map(404, "NoSuchUpload").IsNotFound());
  Status other = Map(400, "InvalidRequest", "x-amz-object-lock-mode needs Object Lock");
  CHECK(other.IsInvalidArgument());
  CHECK(Contains(other.message(), "InvalidRequest (x-amz-object-lock-mode needs Object Lock)"));
  Status region = Map(301, "PermanentRedirect", "", "eu-west-1");
  CHECK(region.IsInvalidArgument());
  CHECK(Contains(region.message(), "region eu-west-1"));
  CHECK(Map(400, "AuthorizationHeaderMalformed").IsInvalidArgument());
}

TEST_CASE("S3 errors: the server's text is bounded and stripped of control characters",
          "[unit][s3]") {
  Status s = Map(400, "Weird\r\nCode", std::string(5000, 'm') + "\x1b[31m");
  CHECK(s.message().size() < 600);
  CHECK_FALSE(Contains(s.message(), "\r"));
  CHECK_FALSE(Contains(s.message(), "\n"));
  CHECK_FALSE(Contains(s.message(), "\x1b"));
  CHECK(SanitizeServerText("a\tb\x7f", 10) == "a?b?");
  CHECK(SanitizeServerText("abcdef", 3) == "abc...");
}

}  // namespace
}  // namespace cairn
