#include "core/tree/path_guard.h"

#include <catch2/catch.hpp>
#include <string>

namespace cairn {
namespace {

std::string Refusal(std::string_view path) {
  Status s = ValidateRelativePath(path);
  REQUIRE_FALSE(s.ok());
  CHECK(s.IsInvalidArgument());
  return s.message();
}

TEST_CASE("ValidateRelativePath: ordinary relative paths and the root are accepted", "[unit]") {
  for (const char* p : {".", "a", "a/b/c", "..a", "a..", ".hidden", "a/.b", "a b/c\td", "é/ü"}) {
    INFO(p);
    CHECK(ValidateRelativePath(p).ok());
  }
  CHECK(ValidateRelativePath(std::string(255, 'x')).ok());
  std::string long_ok;
  while (long_ok.size() + 101 <= kMaxPathLength) long_ok += std::string(100, 'y') + "/";
  long_ok += "z";
  CHECK(ValidateRelativePath(long_ok).ok());
}

TEST_CASE("ValidateRelativePath: each kind of bad path is refused with a message saying why",
          "[unit]") {
  CHECK_THAT(Refusal(""), Catch::Contains("is empty"));
  CHECK_THAT(Refusal("/etc/passwd"), Catch::Contains("absolute"));
  CHECK_THAT(Refusal("/"), Catch::Contains("absolute"));
  CHECK_THAT(Refusal(".."), Catch::Contains("'..'"));
  CHECK_THAT(Refusal("../x"), Catch::Contains("'..'"));
  CHECK_THAT(Refusal("a/../../x"), Catch::Contains("'..'"));
  CHECK_THAT(Refusal("a/.."), Catch::Contains("'..'"));
  CHECK_THAT(Refusal("./a"), Catch::Contains("'.' component"));
  CHECK_THAT(Refusal("a/./b"), Catch::Contains("'.' component"));
  CHECK_THAT(Refusal("a//b"), Catch::Contains("empty component"));
  CHECK_THAT(Refusal("a/"), Catch::Contains("empty component"));
  CHECK_THAT(Refusal(std::string("a\0b", 3)), Catch::Contains("NUL"));
  CHECK_THAT(Refusal(std::string(256, 'x')), Catch::Contains("component of 256 bytes"));
  CHECK_THAT(Refusal(std::string(kMaxPathLength + 1, 'x')), Catch::Contains("limit is 4096"));
}

TEST_CASE("ValidateRelativePath: messages quote the path with control bytes escaped", "[unit]") {
  const std::string msg = Refusal("../\x1b[31mred\n");
  CHECK_THAT(msg, Catch::Contains("\"../\\x1b[31mred\\x0a\""));
  CHECK(msg.find('\n') == std::string::npos);
  CHECK(QuotePath(std::string(1000, 'a')).size() < 220);
}

TEST_CASE("ConfinedPath: joins a valid path under the root and refuses the rest", "[unit]") {
  auto p = ConfinedPath("/srv/target", "a/b");
  REQUIRE(p.ok());
  CHECK(*p == std::filesystem::path("/srv/target/a/b"));
  auto root = ConfinedPath("/srv/target", ".");
  REQUIRE(root.ok());
  CHECK(*root == std::filesystem::path("/srv/target"));
  // std::filesystem's operator/ would replace the root with an absolute path.
  CHECK(ConfinedPath("/srv/target", "/etc/passwd").status().IsInvalidArgument());
  CHECK(ConfinedPath("/srv/target", "a/../../etc").status().IsInvalidArgument());
}

}  // namespace
}  // namespace cairn
