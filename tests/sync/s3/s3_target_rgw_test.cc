// S3Target and S3Client against a real S3 server: Ceph RGW, started once
// for this program (rgw_fixture.h). Cross-checked with real clients
// (s3cmd, rclone) reading what Cairn wrote.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "sync/s3/s3_target.h"
#include "sync/target/replica_layout.h"
#include "tests/support/temp_dir.h"
#include "tests/sync/s3/rgw_fixture.h"

namespace cairn {
namespace {

using test::CreateBucket;
using test::MakeS3Client;
using test::NewRgwTarget;
using test::OpenTarget;
using test::Rgw;
using test::RgwSettings;
using test::RunCommand;
using test::SharedRgw;
using test::ShellQuote;
using test::UniqueBucket;
using test::WriteCredentials;

std::string ChunkKey(char c) { return "chunks/" + std::string(2, c) + "/" + std::string(64, c); }

Bytes Pattern(std::size_t n, unsigned seed) {
  Bytes b(n);
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& byte : b) {
    x = x * 1664525u + 1013904223u;
    byte = static_cast<std::uint8_t>(x >> 24);
  }
  return b;
}

std::vector<std::pair<std::string, std::uint64_t>> ListAll(ReplicaTarget& target,
                                                           std::string_view prefix) {
  std::vector<std::pair<std::string, std::uint64_t>> keys;
  Status s = target.List(prefix, [&](std::string_view key, std::uint64_t size) {
    keys.emplace_back(std::string(key), size);
    return Status::Ok();
  });
  INFO(s.ToString());
  REQUIRE(s.ok());
  return keys;
}

void RequireOk(const Status& s) {
  INFO(s.ToString());
  REQUIRE(s.ok());
}

std::int64_t NowUnix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST_CASE("S3Target: objects put are read back, listed under the prefix in order, and deleted",
          "[integration][s3]") {
  const Rgw& rgw = SharedRgw();
  TempDir dir;
  const auto settings = NewRgwTarget(dir.path(), "roundtrip", "site-a");
  CreateBucket(settings, /*object_lock=*/false);
  auto target = OpenTarget(settings);
  CHECK(target->Describe() == "s3 " + rgw.endpoint + " " + settings.bucket + "/site-a");

  auto probe = target->Probe();
  INFO(probe.status().ToString());
  REQUIRE(probe.ok());
  CHECK_FALSE(probe->supports_locks);
  CHECK(probe->detail.find("no Object Lock") != std::string::npos);

  const Bytes config = Pattern(300, 1), chunk_a = Pattern(70000, 2), chunk_b = Pattern(1, 3),
              manifest = Pattern(5000, 4);
  RequireOk(target->Put("config", config, {}));
  RequireOk(target->Put(ChunkKey('b'), chunk_b, {}));
  RequireOk(target->Put(ChunkKey('a'), chunk_a, {}));
  RequireOk(target->Put("snapshots/web/0123456789abcdef", manifest, {}));
  // Objects that are not replica keys, in and beside the prefix: skipped.
  auto client = MakeS3Client(settings);
  RequireOk(client->PutObject("site-a/notes.txt", AsBytes(std::string_view("hi")), {}).status());
  RequireOk(
      client->PutObject("site-a/chunks/zz/nope", AsBytes(std::string_view("x")), {}).status());
  RequireOk(client->PutObject("other/config", AsBytes(std::string_view("x")), {}).status());

  auto got = target->Get(ChunkKey('a'), 1 << 20);
  INFO(got.status().ToString());
  REQUIRE(got.ok());
  CHECK(*got == chunk_a);

  using Listing = std::vector<std::pair<std::string, std::uint64_t>>;
  CHECK(ListAll(*target, "") == Listing{{ChunkKey('a'), 70000},
                                        {ChunkKey('b'), 1},
                                        {"config", 300},
                                        {"snapshots/web/0123456789abcdef", 5000}});
  CHECK(ListAll(*target, "snapshots/") == Listing{{"snapshots/web/0123456789abcdef", 5000}});
  // The same listing one key per page follows the continuation tokens.
  static_cast<S3Target&>(*target).TEST_set_list_page_size(1);
  CHECK(ListAll(*target, "").size() == 4);
  // An error from the callback stops the listing and comes back.
  int calls = 0;
  Status stopped = target->List("", [&](std::string_view, std::uint64_t) {
    ++calls;
    return Status::Cancelled("enough");
  });
  CHECK(stopped.IsCancelled());
  CHECK(calls == 1);

  // Bounded reads: a larger object is refused, naming its size.
  auto too_big = target->Get(ChunkKey('a'), 1000);
  REQUIRE_FALSE(too_big.ok());
  CHECK(too_big.error().IsInvalidArgument());
  CHECK(too_big.error().message().find("70000 bytes") != std::string::npos);

  RequireOk(target->Delete(ChunkKey('a')));
  CHECK(target->Get(ChunkKey('a'), 1 << 20).error().IsNotFound());
  RequireOk(target->Delete(ChunkKey('a')));  // already gone: Ok
  CHECK(ListAll(*target, "chunks/").size() == 1);
  // Keys that are not replica keys are refused before any request.
  CHECK(target->Put("../etc/passwd", config, {}).IsInvalidArgument());
  CHECK(target->Get("notes.txt", 10).error().IsInvalidArgument());
}

TEST_CASE(
    "S3Target: a 12 MiB object goes up as a multipart upload of 5 MiB parts and reads back "
    "equal",
    "[integration][s3]") {
  TempDir dir;
  auto settings = NewRgwTarget(dir.path(), "multipart");
  settings.part_size = 5ull << 20;
  settings.multipart_threshold = 5ull << 20;
  CreateBucket(settings, false);
  auto target = OpenTarget(settings);

  const Bytes big = Pattern(12ull << 20, 7);
  RequireOk(target->Put("snapshots/big/00000000000000aa", big, {}));
  auto got = target->Get("snapshots/big/00000000000000aa", 16ull << 20);
  INFO(got.status().ToString());
  REQUIRE(got.ok());
  CHECK(got->size() == big.size());
  CHECK(*got == big);
  // A multipart object's ETag ends in -<number of parts>: 5 + 5 + 2 MiB.
  auto head = MakeS3Client(settings)->HeadObject("snapshots/big/00000000000000aa");
  INFO(head.status().ToString());
  REQUIRE(head.ok());
  CHECK(head->etag.find("-3\"") != std::string::npos);
  CHECK(head->size == big.size());
  // Below the threshold: one PUT, a plain MD5 ETag.
  RequireOk(target->Put("config", Pattern(1000, 8), {}));
  auto small = MakeS3Client(settings)->HeadObject("config");
  INFO(small.status().ToString());
  REQUIRE(small.ok());
  CHECK(small->etag.find('-') == std::string::npos);
}

TEST_CASE("S3Target: a wrong secret is refused as PermissionDenied naming the credentials file",
          "[integration][s3]") {
  const Rgw& rgw = SharedRgw();
  TempDir dir;
  const auto good = NewRgwTarget(dir.path(), "secret");
  CreateBucket(good, false);
  auto bad = good;
  bad.credentials_file =
      WriteCredentials(dir.path(), rgw.access_key, "not-the-secret", "wrong.toml");
  auto target = OpenTarget(bad);

  auto probe = target->Probe();
  REQUIRE_FALSE(probe.ok());
  CHECK(probe.error().IsPermissionDenied());
  CHECK_FALSE(probe.error().retryable());
  const std::string& msg = probe.error().message();
  CHECK(msg.find("SignatureDoesNotMatch") != std::string::npos);
  CHECK(msg.find("check access_key/secret_key in " + bad.credentials_file.string()) !=
        std::string::npos);

  Status put = target->Put("config", Pattern(10, 1), {});
  CHECK(put.IsPermissionDenied());
  CHECK(OpenTarget(good)->Get("config", 100).error().IsNotFound());  // nothing was written

  // An unknown access key says the same.
  auto unknown = good;
  unknown.credentials_file = WriteCredentials(dir.path(), "nobody", "x", "unknown.toml");
  auto refused = OpenTarget(unknown)->Probe();
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().IsPermissionDenied());
  CHECK(refused.error().message().find("InvalidAccessKeyId") != std::string::npos);
}

TEST_CASE("S3Target: a missing bucket is InvalidArgument naming it, a dead endpoint Unavailable",
          "[integration][s3]") {
  TempDir dir;
  const auto settings = NewRgwTarget(dir.path(), "missing");
  auto probe = OpenTarget(settings)->Probe();
  REQUIRE_FALSE(probe.ok());
  CHECK(probe.error().IsInvalidArgument());
  CHECK(probe.error().message().find("NoSuchBucket") != std::string::npos);
  CHECK(probe.error().message().find("bucket '" + settings.bucket + "' does not exist") !=
        std::string::npos);
  CHECK(probe.error().message().find("create it or fix the target") != std::string::npos);
  CHECK(OpenTarget(settings)->Put("config", Pattern(1, 1), {}).IsInvalidArgument());

  auto dead = settings;
  dead.endpoint = "http://127.0.0.1:1";  // nobody listens on port 1
  auto down = OpenTarget(dead)->Probe();
  REQUIRE_FALSE(down.ok());
  CHECK(down.error().code() == Status::Code::kUnavailable);
  CHECK(down.error().retryable());
  CHECK(down.error().message().find("127.0.0.1:1") != std::string::npos);
}

TEST_CASE(
    "S3Target: with Object Lock on the bucket, puts are retained in COMPLIANCE mode and "
    "their version cannot be deleted",
    "[integration][s3]") {
  TempDir dir;
  auto settings = NewRgwTarget(dir.path(), "locked", "site-b");
  settings.part_size = 5ull << 20;
  settings.multipart_threshold = 5ull << 20;
  CreateBucket(settings, /*object_lock=*/true);
  auto target = OpenTarget(settings);
  auto probe = target->Probe();
  INFO(probe.status().ToString());
  REQUIRE(probe.ok());
  CHECK(probe->supports_locks);
  CHECK(probe->detail.find("Object Lock enabled") != std::string::npos);

  const std::int64_t until = NowUnix() + 2 * 24 * 3600;
  const std::string key = ChunkKey('c');
  const Bytes data = Pattern(4096, 9);
  PutOptions locked;
  locked.retain_until_unix = until;
  RequireOk(target->Put(key, data, locked));

  auto client = MakeS3Client(settings);
  auto head = client->HeadObject("site-b/" + key);
  INFO(head.status().ToString());
  REQUIRE(head.ok());
  CHECK(head->lock_mode == "COMPLIANCE");
  // RGW writes "2026-11-26T05:30:40.000000000Z": the second we asked for.
  CHECK(head->lock_retain_until.substr(0, 19) == FormatUtc(until, "%Y-%m-%dT%H:%M:%S"));
  REQUIRE_FALSE(head->version_id.empty());
  auto retention = client->GetObjectRetention("site-b/" + key, head->version_id);
  INFO(retention.status().ToString());
  REQUIRE(retention.ok());
  CHECK(retention->mode == "COMPLIANCE");

  // Deleting the version itself is refused, through the client and the target.
  Status version_delete = client->DeleteObject("site-b/" + key, head->version_id);
  CHECK(version_delete.IsPermissionDenied());
  CHECK(version_delete.message().find("Object Lock") != std::string::npos);
  Status target_delete = target->Delete(key);
  CHECK(target_delete.IsPermissionDenied());
  auto still = target->Get(key, 1 << 20);
  REQUIRE(still.ok());
  CHECK(*still == data);

  // A multipart upload is locked too (the headers go on its creation).
  const std::string big_key = "snapshots/web/00000000000000dd";
  RequireOk(target->Put(big_key, Pattern(6ull << 20, 10), locked));
  auto big_head = client->HeadObject("site-b/" + big_key);
  INFO(big_head.status().ToString());
  REQUIRE(big_head.ok());
  CHECK(big_head->etag.find("-2\"") != std::string::npos);
  CHECK(big_head->lock_mode == "COMPLIANCE");
  CHECK(target->Delete(big_key).IsPermissionDenied());

  // Without retain_until no lock is sent, and Delete removes every version.
  const std::string free_key = ChunkKey('d');
  RequireOk(target->Put(free_key, data, {}));
  RequireOk(target->Put(free_key, data, {}));  // a second version
  auto free_head = client->HeadObject("site-b/" + free_key);
  REQUIRE(free_head.ok());
  CHECK(free_head->lock_mode.empty());
  RequireOk(target->Delete(free_key));
  auto versions = client->ListObjectVersions("site-b/" + free_key, "", "");
  REQUIRE(versions.ok());
  CHECK(versions->versions.empty());
}

TEST_CASE(
    "S3Target: ExtendRetention lengthens a locked object's retain-until, never shortens it, "
    "and is NotFound for a missing key",
    "[integration][s3]") {
  TempDir dir;
  auto settings = NewRgwTarget(dir.path(), "extend", "site-c");
  CreateBucket(settings, /*object_lock=*/true);
  auto target = OpenTarget(settings);
  auto client = MakeS3Client(settings);
  const std::string key = ChunkKey('e');
  const std::int64_t until = NowUnix() + 3600;
  PutOptions locked;
  locked.retain_until_unix = until;
  RequireOk(target->Put(key, Pattern(1000, 3), locked));
  auto retained_until = [&] {
    auto r = client->GetObjectRetention("site-c/" + key, "");
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    CHECK(r->mode == "COMPLIANCE");
    return r->retain_until_unix;
  };
  CHECK(retained_until() == until);

  RequireOk(target->ExtendRetention(key, until + 86'400));
  CHECK(retained_until() == until + 86'400);
  // Earlier than it holds: RGW refuses the shortening, the target says Ok.
  RequireOk(target->ExtendRetention(key, until));
  CHECK(retained_until() == until + 86'400);
  // One version all along: the date changed in place, nothing was re-put.
  auto versions = client->ListObjectVersions("site-c/" + key, "", "");
  REQUIRE(versions.ok());
  CHECK(versions->versions.size() == 1);

  // An object put without a lock gets one.
  const std::string free_key = ChunkKey('f');
  RequireOk(target->Put(free_key, Pattern(1000, 4), {}));
  CHECK(client->HeadObject("site-c/" + free_key)->lock_mode.empty());
  RequireOk(target->ExtendRetention(free_key, until));
  auto head = client->HeadObject("site-c/" + free_key);
  REQUIRE(head.ok());
  CHECK(head->lock_mode == "COMPLIANCE");
  CHECK(target->Delete(free_key).IsPermissionDenied());

  Status missing = target->ExtendRetention(ChunkKey('9'), until);
  INFO(missing.ToString());
  CHECK(missing.IsNotFound());
}

TEST_CASE("S3Client: virtual-host style reaches the bucket through Host: <bucket>.localhost",
          "[integration][s3]") {
  const Rgw& rgw = SharedRgw();
  TempDir dir;
  auto settings = NewRgwTarget(dir.path(), "vhost");
  CreateBucket(settings, false);  // path style
  settings.endpoint = "http://localhost:" + std::to_string(rgw.port);
  settings.virtual_host = true;
  auto options = S3ClientOptionsFromSettings(settings);
  REQUIRE(options.ok());
  CHECK(options->address.endpoint.host == settings.bucket + ".localhost");
  CHECK(options->address.ObjectPath("config") == "/config");
  // <bucket>.localhost does not resolve on every machine: connect to
  // 127.0.0.1 while Host and the signature name <bucket>.localhost.
  options->TEST_connect_host = "127.0.0.1";
  auto client = S3Client::Create(std::move(*options));
  REQUIRE(client.ok());
  S3Target target(std::move(*client), settings.multipart_threshold, settings.part_size);
  RequireOk(target.Put("config", Pattern(123, 5), {}));
  auto listed = ListAll(target, "");
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].first == "config");
  // It is the same bucket, seen path style.
  auto settings_path = RgwSettings(rgw, settings.bucket, settings.credentials_file);
  auto got = OpenTarget(settings_path)->Get("config", 1000);
  REQUIRE(got.ok());
  CHECK(*got == Pattern(123, 5));
}

TEST_CASE("S3Target: what it writes, s3cmd and rclone list and fetch byte for byte",
          "[integration][s3]") {
  const Rgw& rgw = SharedRgw();
  TempDir dir;
  auto settings = NewRgwTarget(dir.path(), "clients", "site-c");
  settings.part_size = 5ull << 20;
  settings.multipart_threshold = 5ull << 20;
  CreateBucket(settings, false);
  auto target = OpenTarget(settings);
  const Bytes chunk = Pattern(100000, 11), big = Pattern(6ull << 20, 12);
  RequireOk(target->Put(ChunkKey('e'), chunk, {}));
  RequireOk(target->Put("snapshots/db/00000000000000bb", big, {}));  // multipart

  auto read_file = [](const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), {});
  };
  const std::string host = "127.0.0.1:" + std::to_string(rgw.port);
  const std::string s3cmd = "s3cmd -c /dev/null --no-ssl --host=" + host +
                            " --host-bucket=" + host + " --access_key=" + rgw.access_key +
                            " --secret_key=" + rgw.secret_key;
  std::string out;
  REQUIRE(RunCommand(s3cmd + " ls -r s3://" + settings.bucket, &out) == 0);
  INFO(out);
  // "<date> <time>  <size>  s3://bucket/key", one line per object.
  CHECK(out.find(" 100000  s3://" + settings.bucket + "/site-c/" + ChunkKey('e') + "\n") !=
        std::string::npos);
  CHECK(out.find(" " + std::to_string(big.size()) + "  s3://" + settings.bucket +
                 "/site-c/snapshots/db/00000000000000bb\n") != std::string::npos);
  const auto fetched = dir.path() / "s3cmd.bin";
  out.clear();
  REQUIRE(RunCommand(s3cmd + " get --force s3://" + settings.bucket +
                         "/site-c/snapshots/db/00000000000000bb " + ShellQuote(fetched.string()),
                     &out) == 0);
  CHECK(read_file(fetched) == big);

  // rclone 1.60 refuses to start with AWS_CA_BUNDLE set. An on-the-fly
  // remote; the endpoint is quoted for the ':' in it.
  const std::string rclone = "env -u AWS_CA_BUNDLE rclone --config /dev/null ";
  const std::string remote = ":s3,provider=Ceph,endpoint='" + rgw.endpoint +
                             "',access_key_id=" + rgw.access_key +
                             ",secret_access_key=" + rgw.secret_key + ":";
  out.clear();
  REQUIRE(
      RunCommand(rclone + "lsf -R --files-only " + ShellQuote(remote + settings.bucket + "/site-c"),
                 &out) == 0);
  CHECK(out == ChunkKey('e') + "\nsnapshots/db/00000000000000bb\n");
  const auto via_rclone = dir.path() / "rclone.bin";
  out.clear();
  REQUIRE(RunCommand(rclone + "cat " +
                         ShellQuote(remote + settings.bucket + "/site-c/" + ChunkKey('e')) + " > " +
                         ShellQuote(via_rclone.string()),
                     &out) == 0);
  CHECK(read_file(via_rclone) == chunk);

  // And the other way: what s3cmd put there, the target lists and reads.
  const auto upload = dir.path() / "manifest.bin";
  const Bytes manifest = Pattern(777, 13);
  std::ofstream(upload, std::ios::binary)
      .write(reinterpret_cast<const char*>(manifest.data()), manifest.size());
  out.clear();
  REQUIRE(RunCommand(s3cmd + " put " + ShellQuote(upload.string()) + " s3://" + settings.bucket +
                         "/site-c/snapshots/db/00000000000000cc",
                     &out) == 0);
  auto got = target->Get("snapshots/db/00000000000000cc", 1000);
  REQUIRE(got.ok());
  CHECK(*got == manifest);
}

}  // namespace
}  // namespace cairn
