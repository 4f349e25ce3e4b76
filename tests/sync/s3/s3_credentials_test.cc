#include "sync/s3/s3_credentials.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/temp_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

fs::path Write(const fs::path& file, const std::string& text, fs::perms perms) {
  std::ofstream(file) << text;
  fs::permissions(file, perms);
  return file;
}

constexpr fs::perms k600 = fs::perms::owner_read | fs::perms::owner_write;

TEST_CASE("S3 credentials: access_key and secret_key are read from a private TOML file",
          "[unit][s3]") {
  TempDir dir;
  const fs::path file = Write(dir.path() / "s3.toml",
                              "# replica bucket\naccess_key = \"AKIAEXAMPLE\"\n"
                              "secret_key = \"wJalr/K7MDENG+bPxRfi\"\n",
                              k600);
  auto c = LoadS3Credentials(file);
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  CHECK(c->access_key == "AKIAEXAMPLE");
  CHECK(c->secret_key == "wJalr/K7MDENG+bPxRfi");
  // Group-readable is allowed (root:cairn 640).
  fs::permissions(file, fs::perms::group_read, fs::perm_options::add);
  CHECK(LoadS3Credentials(file).ok());
}

TEST_CASE("S3 credentials: a file every user can read is refused, saying to chmod 600 it",
          "[unit][s3]") {
  TempDir dir;
  const fs::path file = Write(dir.path() / "s3.toml", "access_key = \"a\"\nsecret_key = \"b\"\n",
                              k600 | fs::perms::group_read | fs::perms::others_read);
  auto c = LoadS3Credentials(file);
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().IsInvalidArgument());
  CHECK(Contains(c.error().message(), file.string()));
  CHECK(Contains(c.error().message(), "mode 644"));
  CHECK(Contains(c.error().message(), "chmod 600"));
}

TEST_CASE("S3 credentials: a missing file is refused naming it and what to put in it",
          "[unit][s3]") {
  TempDir dir;
  auto c = LoadS3Credentials(dir.path() / "absent.toml");
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().IsInvalidArgument());
  CHECK(Contains(c.error().message(), (dir.path() / "absent.toml").string()));
  CHECK(Contains(c.error().message(), "access_key and secret_key"));
}

TEST_CASE("S3 credentials: malformed contents are refused with the file and the problem named",
          "[unit][s3]") {
  struct Case {
    std::string text;
    std::string expected;
  };
  const Case cases[] = {
      {"access_key = \"a\"\n", "secret_key is missing"},
      {"secret_key = \"b\"\n", "access_key is missing"},
      {"access_key = \"\"\nsecret_key = \"b\"\n", "access_key is missing or empty"},
      {"access_key = \"a\"\nsecret_access_key = \"b\"\n", "unknown key 'secret_access_key'"},
      {"access_key = 12\nsecret_key = \"b\"\n", "access_key must be a quoted string"},
      {"access_key = \"a\"\nsecret_key = \"b\n", "line 2"},
      {"access_key = \"a b\"\nsecret_key = \"b\"\n", "printable ASCII without spaces"},
      {"access_key = \"a/b\"\nsecret_key = \"b\"\n", "without spaces or '/'"},
      {"access_key = \"a\"\nsecret_key = \"b\\nc\"\n", "secret_key must be printable ASCII"},
  };
  for (const Case& c : cases) {
    auto parsed = ParseS3Credentials(c.text, "/etc/cairn/s3.toml");
    INFO(c.text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().IsInvalidArgument());
    CHECK(Contains(parsed.error().message(), "/etc/cairn/s3.toml"));
    CHECK(Contains(parsed.error().message(), c.expected));
    CHECK_FALSE(Contains(parsed.error().message(), "\"b\""));  // no secret echoed back
  }
}

}  // namespace
}  // namespace cairn
