#include <catch2/catch.hpp>
#include <string>

#include "core/base/fault_injection_fs.h"
#include "core/base/file_system.h"
#include "tests/support/temp_dir.h"

namespace cairn {
namespace {

std::string ReadText(FileSystem& fs, const fs::path& p) {
  auto data = ReadWholeFile(fs, p, 1 << 20);
  REQUIRE(data.ok());
  return std::string(AsChars(*data));
}

TEST_CASE("WriteFileAtomically: the final name holds all of the new content", "[unit]") {
  TempDir dir;
  FileSystem& fs = DefaultFileSystem();
  REQUIRE(WriteFileAtomically(fs, dir.path() / "f", AsBytes("hello")).ok());
  CHECK(ReadText(fs, dir.path() / "f") == "hello");
  REQUIRE(WriteFileAtomically(fs, dir.path() / "f", AsBytes("world!")).ok());
  CHECK(ReadText(fs, dir.path() / "f") == "world!");
  auto names = fs.ListDirectory(dir.path());
  REQUIRE(names.ok());
  CHECK(*names == std::vector<std::string>{"f"});  // no temporary left behind
}

TEST_CASE("ReadWholeFile: a file over its bound is refused, not read", "[unit]") {
  TempDir dir;
  FileSystem& fs = DefaultFileSystem();
  REQUIRE(WriteFileAtomically(fs, dir.path() / "big", AsBytes(std::string(100, 'x'))).ok());
  auto r = ReadWholeFile(fs, dir.path() / "big", 99);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().IsInvalidArgument());
  CHECK(ReadWholeFile(fs, dir.path() / "missing", 10).error().IsNotFound());
}

TEST_CASE("FaultInjectionFs: a crash at any step of an atomic write never shows a torn file",
          "[unit][fault]") {
  TempDir dir;
  FaultInjectionFs fs(DefaultFileSystem());
  const fs::path target = dir.path() / "manifest";
  REQUIRE(WriteFileAtomically(fs, target, AsBytes("old content")).ok());
  int failures = 0;
  for (int n = 0;; ++n) {
    REQUIRE(n < 100);
    fs.FailAfter(n);
    Status s = WriteFileAtomically(fs, target, AsBytes("new content, longer"));
    REQUIRE(fs.SimulateCrash().ok());
    std::string now = ReadText(fs, target);
    if (s.ok()) {
      CHECK(now == "new content, longer");
      break;
    }
    ++failures;
    CHECK(now == "old content");
    auto names = fs.ListDirectory(dir.path());
    REQUIRE(names.ok());
    CHECK(names->size() == 1);  // the temporary never survives a crash
  }
  CHECK(failures >= 5);  // create, append, sync, close, rename, syncdir all failed once
}

TEST_CASE("FaultInjectionFs: unsynced appends are dropped by a simulated crash", "[unit][fault]") {
  TempDir dir;
  FaultInjectionFs fs(DefaultFileSystem());
  auto f = fs.NewWritableFile(dir.path() / "log", true, 0644);
  REQUIRE(f.ok());
  REQUIRE((*f)->Append(AsBytes("durable")).ok());
  REQUIRE((*f)->Sync().ok());
  REQUIRE(fs.SyncDirectory(dir.path()).ok());
  REQUIRE((*f)->Append(AsBytes(" lost")).ok());
  REQUIRE((*f)->Close().ok());
  REQUIRE(fs.SimulateCrash().ok());
  CHECK(ReadText(fs, dir.path() / "log") == "durable");
}

TEST_CASE(
    "FaultInjectionFs: a crash undoes an unsynced rename of a file that was durable before, and "
    "the file is back under its old name",
    "[unit][fault]") {
  TempDir dir;
  REQUIRE(WriteFileAtomically(DefaultFileSystem(), dir.path() / "manifest", AsBytes("kept")).ok());
  FaultInjectionFs fs(DefaultFileSystem());  // sees the file for the first time at the rename
  REQUIRE(fs.Rename(dir.path() / "manifest", dir.path() / "manifest.deleting").ok());
  REQUIRE(fs.SimulateCrash().ok());
  CHECK(ReadText(fs, dir.path() / "manifest") == "kept");
  CHECK_FALSE(std::filesystem::exists(dir.path() / "manifest.deleting"));
}

}  // namespace
}  // namespace cairn
