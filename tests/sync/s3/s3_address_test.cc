#include "sync/s3/s3_address.h"

#include <catch2/catch.hpp>
#include <string>

namespace cairn {
namespace {

bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

S3Address Make(std::string_view endpoint, std::string_view bucket, std::string_view prefix,
               bool virtual_host) {
  auto a = MakeS3Address(endpoint, bucket, prefix, virtual_host);
  INFO(a.status().ToString());
  REQUIRE(a.ok());
  return *a;
}

TEST_CASE("S3Address: path style puts the bucket in the path and the prefix before every key",
          "[unit][s3]") {
  const S3Address a = Make("http://127.0.0.1:7480", "replica", "site-a", false);
  CHECK(a.endpoint.host == "127.0.0.1");
  CHECK(a.endpoint.port == 7480);
  CHECK_FALSE(a.endpoint.tls);
  CHECK(HostHeaderValue(a.endpoint) == "127.0.0.1:7480");
  CHECK(a.KeyPrefix() == "site-a/");
  CHECK(a.ObjectKey("chunks/ab/abcd") == "site-a/chunks/ab/abcd");
  CHECK(a.ObjectPath(a.ObjectKey("config")) == "/replica/site-a/config");
  CHECK(a.BucketPath() == "/replica");
  CHECK(a.Describe("site-a/config") == "s3://replica/site-a/config");

  const S3Address bare = Make("https://s3.example.com", "replica", "", false);
  CHECK(bare.KeyPrefix().empty());
  CHECK(bare.ObjectKey("config") == "config");
  CHECK(bare.endpoint.tls);
  CHECK(bare.endpoint.port == 443);
}

TEST_CASE("S3Address: virtual-host style moves the bucket into the host name", "[unit][s3]") {
  const S3Address a = Make("https://s3.eu-central-1.amazonaws.com", "replica", "a/b", true);
  CHECK(a.endpoint.host == "replica.s3.eu-central-1.amazonaws.com");
  CHECK(HostHeaderValue(a.endpoint) == "replica.s3.eu-central-1.amazonaws.com");
  CHECK(a.ObjectPath(a.ObjectKey("config")) == "/a/b/config");
  CHECK(a.BucketPath() == "/");
  const S3Address local = Make("http://localhost:7480", "replica", "", true);
  CHECK(HostHeaderValue(local.endpoint) == "replica.localhost:7480");
}

TEST_CASE("S3Address: keys are percent-encoded once in the path", "[unit][s3]") {
  const S3Address a = Make("http://h:1", "b-1", "my site", false);
  CHECK(a.ObjectPath(a.ObjectKey("x+y%z")) == "/b-1/my%20site/x%2By%25z");
}

TEST_CASE("S3Address: bad endpoints, bucket names and prefixes are refused naming the field",
          "[unit][s3]") {
  struct Case {
    std::string endpoint, bucket, prefix;
    bool virtual_host;
    std::string expected;
  };
  const Case cases[] = {
      {"ftp://h", "bucket", "", false, "endpoint"},
      {"http://h:1/path", "bucket", "", false, "endpoint"},
      {"s3.example.com", "bucket", "", false, "endpoint"},
      {"http://h:1", "ab", "", false, "bucket name 'ab'"},
      {"http://h:1", "Bucket", "", false, "bucket name"},
      {"http://h:1", "-bucket", "", false, "bucket name"},
      {"http://h:1", "bucket/x", "", false, "bucket name"},
      {"http://h:1", std::string(64, 'b'), "", false, "bucket name"},
      {"http://h:1", "my_bucket", "", true, "bucket name"},
      {"http://h:1", "bucket", "/lead", false, "prefix"},
      {"http://h:1", "bucket", "trail/", false, "prefix"},
      {"http://h:1", "bucket", "a//b", false, "prefix"},
      {"http://h:1", "bucket", "a\nb", false, "prefix"},
      {"http://127.0.0.1:7480", "bucket", "", true, "needs a DNS name"},
      {"https://s3.example.com", "my.bucket", "", true, "has dots"},
  };
  for (const Case& c : cases) {
    INFO(c.endpoint << " " << c.bucket << " '" << c.prefix << "' " << c.virtual_host);
    auto a = MakeS3Address(c.endpoint, c.bucket, c.prefix, c.virtual_host);
    REQUIRE_FALSE(a.ok());
    CHECK(a.error().IsInvalidArgument());
    CHECK(Contains(a.error().message(), c.expected));
  }
  // Allowed: underscores in path style, dots over plain http virtual-host.
  CHECK(MakeS3Address("http://h:1", "my_bucket", "", false).ok());
  CHECK(MakeS3Address("http://s3.local:1", "my.bucket", "", true).ok());
}

}  // namespace
}  // namespace cairn
