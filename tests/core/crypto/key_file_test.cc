#include "core/crypto/key_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

#include "core/base/fault_injection_fs.h"
#include "tests/support/temp_dir.h"

namespace cairn {
namespace {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.

void WriteText(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_CASE("KeyFile: a created key file loads back as the same key, owner-only", "[integration]") {
  TempDir dir;
  fs::path path = dir.path() / "store.key";
  REQUIRE(CreateKeyFile(DefaultFileSystem(), path).ok());

  auto a = LoadKeyFile(DefaultFileSystem(), path);
  REQUIRE(a.ok());
  auto b = LoadKeyFile(DefaultFileSystem(), path);
  REQUIRE(b.ok());
  CHECK(*a == *b);
  CHECK_FALSE(*a == KeyFileKey{});
  CHECK(ReadText(path) == FormatKeyFile(*a));

  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  // No temporary file is left beside it.
  CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 1);
}

TEST_CASE("KeyFile: creating over an existing file is refused and leaves it untouched",
          "[integration]") {
  TempDir dir;
  fs::path path = dir.path() / "store.key";
  REQUIRE(CreateKeyFile(DefaultFileSystem(), path).ok());
  std::string before = ReadText(path);

  Status s = CreateKeyFile(DefaultFileSystem(), path);
  CHECK(s.IsAlreadyExists());
  CHECK(s.message().find(path.string()) != std::string::npos);
  CHECK(s.message().find("choose another path") != std::string::npos);
  CHECK(ReadText(path) == before);
}

TEST_CASE("KeyFile: two created key files hold different keys", "[integration]") {
  TempDir dir;
  REQUIRE(CreateKeyFile(DefaultFileSystem(), dir.path() / "a.key").ok());
  REQUIRE(CreateKeyFile(DefaultFileSystem(), dir.path() / "b.key").ok());
  auto a = LoadKeyFile(DefaultFileSystem(), dir.path() / "a.key");
  auto b = LoadKeyFile(DefaultFileSystem(), dir.path() / "b.key");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK_FALSE(*a == *b);
}

TEST_CASE("KeyFile: a failure or crash at any step leaves no key file or a whole one",
          "[integration][fault]") {
  TempDir dir;
  fs::path path = dir.path() / "store.key";
  FaultInjectionFs ffs(DefaultFileSystem());
  for (int n = 0;; ++n) {
    INFO("failing operation " << n);
    REQUIRE(n < 20);
    ffs.FailAfter(n);
    Status s = CreateKeyFile(ffs, path);
    REQUIRE(ffs.SimulateCrash().ok());
    auto exists = DefaultFileSystem().Exists(path);
    REQUIRE(exists.ok());
    if (s.ok()) {
      REQUIRE(*exists);  // acknowledged means durable
      REQUIRE(LoadKeyFile(DefaultFileSystem(), path).ok());
      break;
    }
    if (*exists) {
      // Torn writes never show under the final name.
      REQUIRE(LoadKeyFile(DefaultFileSystem(), path).ok());
      REQUIRE(DefaultFileSystem().RemoveFile(path).ok());
    }
  }
}

TEST_CASE("KeyFile: a missing key file is NotFound with what to do", "[integration]") {
  TempDir dir;
  auto r = LoadKeyFile(DefaultFileSystem(), dir.path() / "nope.key");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().IsNotFound());
  CHECK(r.error().message().find("recovery passphrase or kit") != std::string::npos);
}

TEST_CASE("KeyFile: an oversized file is refused without reading it all", "[integration]") {
  TempDir dir;
  fs::path path = dir.path() / "big.key";
  WriteText(path, std::string(kMaxKeyFileSize + 1, 'a'));
  auto r = LoadKeyFile(DefaultFileSystem(), path);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().IsCorruption());
  CHECK(r.error().message().find("larger than 4096") != std::string::npos);
}

TEST_CASE("KeyFile: malformed key files are Corruption naming the problem", "[unit]") {
  const std::string hex(64, 'a');
  struct Case {
    std::string text;
    std::string says;
  };
  const Case cases[] = {
      {"", "no line break"},
      {"cairn-key-file v2\n" + hex + "\n", "first line"},
      {"cairn-key-file v1\n" + hex.substr(1) + "\n", "63 characters"},
      {"cairn-key-file v1\n" + hex + "a\n", "65 characters"},
      {"cairn-key-file v1\n" + hex.substr(1) + "g\n", "not a hex digit"},
      {"cairn-key-file v1\n" + hex + "\nextra\n", "after the key line"},
      {"cairn-key-file v1\n\n", "0 characters"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    auto r = ParseKeyFile(c.text, "/etc/cairn/store.key");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().IsCorruption());
    CHECK(r.error().message().find(c.says) != std::string::npos);
    CHECK(r.error().message().find("/etc/cairn/store.key") != std::string::npos);
  }
}

TEST_CASE("KeyFile: CRLF line ends, upper-case hex and a missing final newline are accepted",
          "[unit]") {
  KeyFileKey key;
  for (std::size_t i = 0; i < key.bytes.size(); ++i)
    key.bytes[i] = static_cast<std::uint8_t>(i * 7);
  std::string hex = ToHex(key.bytes);
  std::string upper = hex;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  for (const std::string& text :
       {"cairn-key-file v1\r\n" + hex + "\r\n", "cairn-key-file v1\n" + upper + "\n",
        "cairn-key-file v1\n" + hex, FormatKeyFile(key) + "\n \n"}) {
    INFO(text);
    auto r = ParseKeyFile(text, "k");
    REQUIRE(r.ok());
    CHECK(*r == key);
  }
}

}  // namespace
}  // namespace cairn
