// TreeRestorer must never write outside its target, whatever the entries say.
#include "core/tree/tree_restorer.h"
#include "tests/support/temp_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

namespace cairn {
namespace {

namespace fs = std::filesystem;


TreeEntry File(std::string path, std::string_view content = "") {
  TreeEntry e;
  e.path = std::move(path);
  e.type = EntryType::kFile;
  e.mode = 0644;
  e.size = content.size();
  return e;
}
TreeEntry Symlink(std::string path, std::string target) {
  TreeEntry e;
  e.path = std::move(path);
  e.type = EntryType::kSymlink;
  e.mode = 0777;
  e.link_target = std::move(target);
  return e;
}
TreeEntry Hardlink(std::string path, std::string target) {
  TreeEntry e;
  e.path = std::move(path);
  e.type = EntryType::kHardlink;
  e.mode = 0644;
  e.link_target = std::move(target);
  return e;
}
TreeEntry Dir(std::string path, std::uint32_t mode) {
  TreeEntry e;
  e.path = std::move(path);
  e.type = EntryType::kDirectory;
  e.mode = mode;
  e.mtime_ns = 1000000000;
  return e;
}

Status WriteEntry(EntrySink& sink, const TreeEntry& e, std::string_view content = "") {
  CAIRN_RETURN_IF_ERROR(sink.Begin(e));
  if (!content.empty()) CAIRN_RETURN_IF_ERROR(sink.Write(0, AsBytes(content)));
  return sink.End();
}

// target/ is restored into; sentinel/ next to it must stay empty and
// untouched; outside/victim holds content that must not change.
struct Scene {
  TempDir tmp;
  fs::path target = tmp.path() / "target";
  fs::path sentinel = tmp.path() / "sentinel";
  fs::path outside = tmp.path() / "outside";
  struct stat sentinel_before {};

  Scene() {
    fs::create_directories(target);
    fs::create_directories(sentinel);
    fs::create_directories(outside);
    std::ofstream(outside / "victim") << "original";
    REQUIRE(::chmod(sentinel.c_str(), 0755) == 0);
    struct timespec old[2] = {{1000, 0}, {1000, 0}};
    REQUIRE(::utimensat(AT_FDCWD, sentinel.c_str(), old, 0) == 0);
    REQUIRE(::stat(sentinel.c_str(), &sentinel_before) == 0);
  }

  void CheckNothingOutside() const {
    CHECK(fs::is_empty(sentinel));
    struct stat now;
    REQUIRE(::stat(sentinel.c_str(), &now) == 0);
    CHECK(now.st_mode == sentinel_before.st_mode);
    CHECK(now.st_mtim.tv_sec == sentinel_before.st_mtim.tv_sec);
    CHECK(now.st_uid == sentinel_before.st_uid);
    std::ifstream in(outside / "victim");
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(content == "original");
    CHECK(fs::hard_link_count(outside / "victim") == 1);
    std::size_t n = 0;
    for (const auto& de : fs::directory_iterator(tmp.path())) {
      (void)de;
      ++n;
    }
    CHECK(n == 3);  // target, sentinel, outside: nothing else appeared
  }
};

TEST_CASE("TreeRestorer: lexically escaping paths are refused with a clear error", "[unit]") {
  Scene scene;
  auto restorer = TreeRestorer::Create(scene.target);
  REQUIRE(restorer.ok());
  struct Case {
    std::string path;
    const char* reason;
  };
  const Case cases[] = {
      {"../x", "'..'"},
      {"../sentinel/x", "'..'"},
      {(scene.sentinel / "x").string(), "absolute"},
      {"/etc/cairn-should-not-exist", "absolute"},
      {"a/../../x", "'..'"},
      {"", "empty"},
      {std::string("a\0b", 3), "NUL"},
  };
  for (const Case& c : cases) {
    INFO(c.path);
    const Status s = (*restorer)->Begin(File(c.path, "boo"));
    CHECK(s.IsInvalidArgument());
    CHECK_THAT(s.message(), Catch::Contains(c.reason));
    // A refused Begin leaves no entry open.
    CHECK((*restorer)->Write(0, AsBytes("boo")).IsInvalidArgument());
  }
  const Status s = (*restorer)->Begin(Hardlink("h", "../../etc/passwd"));
  CHECK(s.IsInvalidArgument());
  CHECK_THAT(s.message(), Catch::Contains("hard link target") && Catch::Contains("'..'"));
  REQUIRE((*restorer)->Finish().ok());
  CHECK_FALSE(fs::exists("/etc/cairn-should-not-exist"));
  CHECK(fs::is_empty(scene.target));
  scene.CheckNothingOutside();
}

TEST_CASE("TreeRestorer: an entry below a restored symlink is refused, not written through it",
          "[unit]") {
  Scene scene;
  auto restorer = TreeRestorer::Create(scene.target);
  REQUIRE(restorer.ok());
  REQUIRE(WriteEntry(**restorer, Symlink("evil", scene.sentinel.string())).ok());
  REQUIRE(WriteEntry(**restorer, Symlink("evil-rel", "../sentinel")).ok());
  REQUIRE(WriteEntry(**restorer, Symlink("to-outside", scene.outside.string())).ok());

  for (const char* path : {"evil/f", "evil-rel/f", "evil/sub/f", "to-outside/victim"}) {
    INFO(path);
    const Status s = (*restorer)->Begin(File(path, "pwned"));
    CHECK(s.code() == Status::Code::kPermissionDenied);
    CHECK_THAT(s.message(), Catch::Contains("symlink"));
  }
  // A directory entry through the symlink, and a hard link whose target
  // goes through one, are refused the same way.
  CHECK_FALSE((*restorer)->Begin(Dir("evil/d", 0755)).ok());
  const Status hard = (*restorer)->Begin(Hardlink("stolen", "to-outside/victim"));
  CHECK_FALSE(hard.ok());
  CHECK_THAT(hard.message(), Catch::Contains("symlink"));
  REQUIRE((*restorer)->Finish().ok());
  CHECK_FALSE(fs::exists(scene.target / "stolen"));
  CHECK(fs::is_symlink(scene.target / "evil"));
  scene.CheckNothingOutside();
}

TEST_CASE("TreeRestorer: a file over an existing symlink replaces the link, not its target",
          "[unit]") {
  Scene scene;
  auto restorer = TreeRestorer::Create(scene.target);
  REQUIRE(restorer.ok());
  REQUIRE(WriteEntry(**restorer, Symlink("s", (scene.outside / "victim").string())).ok());
  REQUIRE(WriteEntry(**restorer, File("s", "new"), "new").ok());
  REQUIRE((*restorer)->Finish().ok());
  CHECK(fs::is_regular_file(fs::symlink_status(scene.target / "s")));
  CHECK(fs::file_size(scene.target / "s") == 3);
  scene.CheckNothingOutside();
}

TEST_CASE("TreeRestorer: deferred directory metadata is not applied through a later symlink",
          "[unit]") {
  // A directory's mode and times are applied at Finish; if a later entry
  // swaps the directory for a symlink, the fix-up must not follow it.
  Scene scene;
  auto restorer = TreeRestorer::Create(scene.target);
  REQUIRE(restorer.ok());
  REQUIRE(WriteEntry(**restorer, Dir("d", 0700)).ok());
  REQUIRE(WriteEntry(**restorer, Symlink("d", scene.sentinel.string())).ok());
  REQUIRE((*restorer)->Finish().ok());
  CHECK(fs::is_symlink(scene.target / "d"));
  scene.CheckNothingOutside();
}

TEST_CASE(
    "TreeRestorer: existing files are overwritten and the root entry sets the target's metadata",
    "[unit]") {
  Scene scene;
  std::ofstream(scene.target / "old") << "old content that is longer";
  auto restorer = TreeRestorer::Create(scene.target);
  REQUIRE(restorer.ok());
  REQUIRE(WriteEntry(**restorer, Dir(".", 0750)).ok());
  REQUIRE(WriteEntry(**restorer, File("old", "new"), "new").ok());
  REQUIRE((*restorer)->Finish().ok());
  CHECK(fs::file_size(scene.target / "old") == 3);
  struct stat st;
  REQUIRE(::stat(scene.target.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0750);
  CHECK(st.st_mtim.tv_sec == 1);
}

TEST_CASE("TreeRestorer: content must come in order and complete", "[unit]") {
  Scene scene;
  auto restorer = TreeRestorer::Create(scene.target);
  REQUIRE(restorer.ok());
  REQUIRE((*restorer)->Begin(File("f", "abcdef")).ok());
  CHECK((*restorer)->Write(3, AsBytes("def")).IsInvalidArgument());
  CHECK((*restorer)->Write(0, AsBytes("abcdefg")).IsInvalidArgument());
  REQUIRE((*restorer)->Write(0, AsBytes("abc")).ok());
  const Status end = (*restorer)->End();
  CHECK(end.IsInvalidArgument());
  CHECK_THAT(end.message(), Catch::Contains("only 3 of 6"));
  CHECK_THAT(end.message(), Catch::Contains("partial file was removed"));
  CHECK_FALSE(fs::exists(scene.target / "f"));
  // The next entry goes on normally.
  REQUIRE(WriteEntry(**restorer, File("g", "xy"), "xy").ok());
  REQUIRE((*restorer)->Finish().ok());
  CHECK(fs::file_size(scene.target / "g") == 2);
}

TEST_CASE("TreeRestorer: a sparse entry is written with holes through its data regions", "[unit]") {
  Scene scene;
  auto restorer = TreeRestorer::Create(scene.target);
  REQUIRE(restorer.ok());
  TreeEntry e = File("sparse");
  e.size = 32 << 20;
  e.sparse = {{4096, 4096}, {16 << 20, 4096}};
  const std::string content(8192, 'z');
  REQUIRE((*restorer)->Begin(e).ok());
  // Split across the region boundary on purpose.
  REQUIRE((*restorer)->Write(0, AsBytes(std::string_view(content).substr(0, 5000))).ok());
  REQUIRE((*restorer)->Write(5000, AsBytes(std::string_view(content).substr(5000))).ok());
  REQUIRE((*restorer)->End().ok());
  REQUIRE((*restorer)->Finish().ok());
  struct stat st;
  REQUIRE(::stat((scene.target / "sparse").c_str(), &st) == 0);
  CHECK(st.st_size == 32 << 20);
  CHECK(st.st_blocks * 512 <= 64 * 1024);
  std::ifstream in(scene.target / "sparse", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(all.substr(0, 4096) == std::string(4096, '\0'));
  CHECK(all.substr(4096, 4096) == std::string(4096, 'z'));
  CHECK(all.substr(16 << 20, 4096) == std::string(4096, 'z'));
  CHECK(all.substr((16 << 20) + 4096, 100) == std::string(100, '\0'));
}

}  // namespace
}  // namespace cairn

namespace cairn {
namespace {

TEST_CASE("TreeRestorer: a file that cannot be created is reported after Finish, by path",
          "[unit]") {
  Scene scene;
  fs::create_directories(scene.target / "busy" / "inside");  // a directory where a file goes
  auto restorer = TreeRestorer::Create(scene.target);
  REQUIRE(restorer.ok());
  // The writer threads create files in the background: Begin/End succeed...
  REQUIRE(WriteEntry(**restorer, File("busy", "content"), "content").ok());
  REQUIRE(WriteEntry(**restorer, File("fine", "ok"), "ok").ok());
  REQUIRE((*restorer)->Finish().ok());
  // ...and the failure arrives, naming the entry; the other file is there.
  auto failed = (*restorer)->TakeFailedEntries();
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].first == "busy");
  CHECK_THAT(failed[0].second.message(), Catch::Contains("create"));
  CHECK(fs::is_directory(scene.target / "busy" / "inside"));  // nothing of it was removed
  CHECK(fs::file_size(scene.target / "fine") == 2);
}

}  // namespace
}  // namespace cairn
