// S3Target and S3Client when the server misbehaves on cue (a scripted
// server, scripted_s3_server.h): a failed part aborts the multipart upload,
// a 200 carrying an error is a failure, oversized and looping answers are
// refused.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "sync/s3/s3_target.h"
#include "tests/support/temp_dir.h"
#include "tests/sync/s3/rgw_fixture.h"
#include "tests/sync/s3/scripted_s3_server.h"

namespace cairn {
namespace {

using test::ScriptedAnswer;
using test::ScriptedS3Server;

bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

bool Saw(const std::vector<std::string>& requests, std::string_view prefix) {
  for (const std::string& r : requests) {
    if (r.starts_with(prefix)) return true;
  }
  return false;
}

ScriptedAnswer Xml(unsigned status, std::string body) {
  return ScriptedAnswer{status, std::move(body), {{"Content-Type", "application/xml"}}};
}

// A multipart target on `server` (5 MiB parts from 5 MiB on).
std::unique_ptr<ReplicaTarget> Target(const ScriptedS3Server& server, const TempDir& dir) {
  S3TargetSettings s;
  s.endpoint = server.endpoint();
  s.bucket = "scripted";
  s.credentials_file = test::WriteCredentials(dir.path(), "ak", "sk");
  s.part_size = 5ull << 20;
  s.multipart_threshold = 5ull << 20;
  return test::OpenTarget(s);
}

// Answers the multipart steps; `part2` and `complete` say how part 2 and
// CompleteMultipartUpload go.
ScriptedS3Server::Handler Multipart(ScriptedAnswer part2, ScriptedAnswer complete) {
  return [=](const std::string& method, const std::string& target) {
    if (method == "POST" && target.ends_with("?uploads")) {
      return Xml(200,
                 "<InitiateMultipartUploadResult><UploadId>U1</UploadId>"
                 "</InitiateMultipartUploadResult>");
    }
    if (method == "PUT" && Contains(target, "partNumber=2")) return part2;
    if (method == "PUT") return ScriptedAnswer{200, "", {{"ETag", "\"e\""}}};
    if (method == "POST") return complete;
    return ScriptedAnswer{204, "", {}};  // DELETE ?uploadId
  };
}

const ScriptedAnswer kPartOk{200, "", {{"ETag", "\"e2\""}}};
const ScriptedAnswer kCompleteOk =
    Xml(200, "<CompleteMultipartUploadResult><ETag>\"x-3\"</ETag></CompleteMultipartUploadResult>");

TEST_CASE("S3Target: a part refused midway aborts the multipart upload and returns the failure",
          "[integration][s3]") {
  ScriptedS3Server server(
      Multipart(Xml(503, "<Error><Code>SlowDown</Code><Message>reduce your rate</Message></Error>"),
                kCompleteOk));
  TempDir dir;
  Status s = Target(server, dir)->Put("config", Bytes(12ull << 20, 7), {});
  CHECK(s.retryable());
  CHECK(Contains(s.message(), "upload part 2 of s3://scripted/config"));
  CHECK(Contains(s.message(), "SlowDown (reduce your rate)"));
  const auto requests = server.requests();
  CHECK(Saw(requests, "DELETE /scripted/config?uploadId=U1"));
  CHECK_FALSE(Saw(requests, "POST /scripted/config?uploadId=U1"));  // never completed
  CHECK_FALSE(Saw(requests, "PUT /scripted/config?partNumber=3"));  // stopped at the failure
}

TEST_CASE("S3Target: a CompleteMultipartUpload answered 200 with an error fails and is aborted",
          "[integration][s3]") {
  ScriptedS3Server server(Multipart(
      kPartOk, Xml(200, "<Error><Code>InternalError</Code><Message>try again</Message></Error>")));
  TempDir dir;
  Status s = Target(server, dir)->Put("config", Bytes(12ull << 20, 7), {});
  CHECK(s.retryable());
  CHECK(Contains(s.message(), "InternalError"));
  const auto requests = server.requests();
  CHECK(Saw(requests, "PUT /scripted/config?partNumber=3&uploadId=U1"));
  CHECK(Saw(requests, "DELETE /scripted/config?uploadId=U1"));
}

TEST_CASE("S3Target: a listing answer over the XML limit is refused before it is read",
          "[integration][s3]") {
  ScriptedS3Server server([](const std::string&, const std::string&) {
    return Xml(200, std::string(kMaxS3XmlBytes + 1, ' '));
  });
  TempDir dir;
  Status s =
      Target(server, dir)->List("", [](std::string_view, std::uint64_t) { return Status::Ok(); });
  CHECK(s.IsInvalidArgument());
  CHECK(Contains(s.message(), "more than the limit of " + std::to_string(kMaxS3XmlBytes)));
}

TEST_CASE("S3Target: a listing that repeats its continuation token is refused, not looped",
          "[integration][s3]") {
  ScriptedS3Server server([](const std::string&, const std::string&) {
    return Xml(200,
               "<ListBucketResult><IsTruncated>true</IsTruncated>"
               "<NextContinuationToken>same</NextContinuationToken>"
               "<Contents><Key>config</Key><Size>1</Size></Contents></ListBucketResult>");
  });
  TempDir dir;
  int keys = 0;
  Status s = Target(server, dir)->List("", [&](std::string_view, std::uint64_t) {
    ++keys;
    return Status::Ok();
  });
  CHECK(s.IsInvalidArgument());
  CHECK(Contains(s.message(), "same continuation token twice"));
  CHECK(keys == 2);
  CHECK(server.requests().size() == 2);
}

TEST_CASE("S3Target: an error body over 64 KiB is not read; the HTTP status decides",
          "[integration][s3]") {
  ScriptedS3Server server(
      [](const std::string&, const std::string&) { return Xml(503, std::string(1 << 20, 'x')); });
  TempDir dir;
  auto got = Target(server, dir)->Get("config", 100);
  REQUIRE_FALSE(got.ok());
  CHECK(got.error().retryable());
  CHECK(Contains(got.error().message(), "GET s3://scripted/config: HTTP 503"));
}

}  // namespace
}  // namespace cairn
