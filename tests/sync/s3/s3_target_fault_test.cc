// S3Target and S3Client when the server misbehaves on cue (a scripted
// server, scripted_s3_server.h): a failed part aborts the multipart upload,
// a 200 carrying an error is a failure, oversized and looping answers are
// refused.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "sync/s3/s3_target.h"
#include "sync/s3/sigv4.h"
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

TEST_CASE("S3Target: an error body over 64 KiB is not read, the HTTP status decides",
          "[integration][s3]") {
  ScriptedS3Server server(
      [](const std::string&, const std::string&) { return Xml(503, std::string(1 << 20, 'x')); });
  TempDir dir;
  auto got = Target(server, dir)->Get("config", 100);
  REQUIRE_FALSE(got.ok());
  CHECK(got.error().retryable());
  CHECK(Contains(got.error().message(), "GET s3://scripted/config: HTTP 503"));
}

// Answers an Object Lock bucket's requests: PUT ?retention with `put`, GET
// ?retention with a COMPLIANCE date of `held` (unix seconds).
ScriptedS3Server::Handler LockedBucket(ScriptedAnswer put, std::int64_t held) {
  return [=](const std::string& method, const std::string& target) {
    if (method == "GET" && target.ends_with("?object-lock")) {
      return Xml(200,
                 "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled>"
                 "</ObjectLockConfiguration>");
    }
    if (method == "PUT" && Contains(target, "?retention")) return put;
    if (method == "GET" && Contains(target, "?retention")) {
      return Xml(200, "<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>" +
                          FormatUtc(held, "%Y-%m-%dT%H:%M:%S") +
                          ".000Z</RetainUntilDate></Retention>");
    }
    return Xml(400, "<Error><Code>InvalidRequest</Code></Error>");
  };
}

const ScriptedAnswer kShorteningRefused =
    Xml(403, "<Error><Code>AccessDenied</Code><Message>forbidden by object lock</Message></Error>");

std::int64_t NowUnix() { return DefaultClock().NowUnixNanos() / 1'000'000'000; }

TEST_CASE("S3Target: ExtendRetention sets the date on the current version with PutObjectRetention",
          "[integration][s3]") {
  TempDir dir;
  ScriptedS3Server server(LockedBucket(ScriptedAnswer{200, "", {}}, 0));
  auto target = Target(server, dir);
  const std::int64_t until = NowUnix() + 86'400;
  Status s = target->ExtendRetention("chunks/aa/" + std::string(64, 'a'), until);
  INFO(s.ToString());
  REQUIRE(s.ok());
  const auto requests = server.requests();
  CHECK(Saw(requests, "PUT /scripted/chunks/aa/" + std::string(64, 'a') + "?retention"));
  CHECK_FALSE(Saw(requests, "GET /scripted/chunks"));  // no second look when it worked
}

TEST_CASE(
    "S3Target: ExtendRetention to an earlier date than the version holds is refused by S3 "
    "and is no failure, any other refusal is",
    "[integration][s3]") {
  TempDir dir;
  const std::int64_t until = NowUnix() + 86'400;
  const std::string key = "chunks/bb/" + std::string(64, 'b');
  {
    // Already retained a day longer (the bucket's default, or a lost record).
    ScriptedS3Server server(LockedBucket(kShorteningRefused, until + 86'400));
    Status s = Target(server, dir)->ExtendRetention(key, until);
    INFO(s.ToString());
    CHECK(s.ok());
    CHECK(Saw(server.requests(), "GET /scripted/" + key + "?retention"));
  }
  {
    // Retained for less, yet refused: a real refusal (a policy, a GOVERNANCE-only user).
    ScriptedS3Server server(LockedBucket(kShorteningRefused, until - 60));
    Status s = Target(server, dir)->ExtendRetention(key, until);
    CHECK(s.IsPermissionDenied());
  }
  {
    ScriptedS3Server server(
        LockedBucket(Xml(404, "<Error><Code>NoSuchKey</Code></Error>"), until + 86'400));
    CHECK(Target(server, dir)->ExtendRetention(key, until).IsNotFound());
  }
}

TEST_CASE("S3Target: ExtendRetention sends nothing for a past date or to a bucket without Object Lock",
          "[integration][s3]") {
  TempDir dir;
  ScriptedS3Server server([](const std::string&, const std::string&) {
    return Xml(404, "<Error><Code>ObjectLockConfigurationNotFoundError</Code></Error>");
  });
  auto target = Target(server, dir);
  const std::string key = "chunks/cc/" + std::string(64, 'c');
  REQUIRE(target->ExtendRetention(key, NowUnix() - 10).ok());
  CHECK(server.requests().empty());
  REQUIRE(target->ExtendRetention(key, NowUnix() + 86'400).ok());
  const auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0] == "GET /scripted?object-lock");
}

}  // namespace
}  // namespace cairn
