#include "core/tree/tree_walker.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/tree/file_content_reader.h"
#include "tests/support/temp_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;


void Touch(const fs::path& p, std::string_view content = "") { std::ofstream(p) << content; }

std::vector<TreeEntry> WalkAll(const fs::path& root, WalkOptions options = {},
                               std::vector<Status>* warnings = nullptr) {
  auto walker = TreeWalker::Open(root, std::move(options));
  REQUIRE(walker.ok());
  std::vector<TreeEntry> out;
  REQUIRE((*walker)
              ->Walk([&](const TreeEntry& e) {
                REQUIRE(ValidateEntryMetadata(e).ok());
                out.push_back(e);
                return Status::Ok();
              })
              .ok());
  if (warnings != nullptr) *warnings = (*walker)->warnings();
  return out;
}

std::vector<std::string> Paths(const std::vector<TreeEntry>& entries) {
  std::vector<std::string> out;
  for (const TreeEntry& e : entries) out.push_back(e.path);
  return out;
}

TEST_CASE("TreeWalker: entries come depth first, parents first, siblings sorted by name",
          "[unit]") {
  TempDir tmp;
  const fs::path r = tmp.path();
  fs::create_directories(r / "b");
  fs::create_directories(r / "a/c");
  Touch(r / "a/z");
  Touch(r / "a/c/x");
  Touch(r / "a.txt");
  Touch(r / "B");
  fs::create_symlink("a", r / "link-to-a");  // listed, not followed
  const auto entries = WalkAll(r);
  CHECK(Paths(entries) ==
        std::vector<std::string>{".", "B", "a", "a/c", "a/c/x", "a/z", "a.txt", "b", "link-to-a"});
  CHECK(entries[0].type == EntryType::kDirectory);
  CHECK(entries.back().type == EntryType::kSymlink);
  CHECK(entries.back().link_target == "a");
}

TEST_CASE("TreeWalker: exclude patterns drop names and whole subtrees", "[unit]") {
  TempDir tmp;
  const fs::path r = tmp.path();
  fs::create_directories(r / "keep/cache/deep");
  fs::create_directories(r / "other/cache");
  Touch(r / "keep/cache/deep/f");
  Touch(r / "keep/a.log");
  Touch(r / "keep/a.txt");
  Touch(r / "other/cache/g");
  WalkOptions options;
  options.exclude = {"*.log", "keep/cache"};
  CHECK(Paths(WalkAll(r, options)) == std::vector<std::string>{".", "keep", "keep/a.txt", "other",
                                                               "other/cache", "other/cache/g"});
}

TEST_CASE("TreeWalker: the second path of an inode is a hard link to the first", "[unit]") {
  TempDir tmp;
  Touch(tmp.path() / "a", "data");
  fs::create_hard_link(tmp.path() / "a", tmp.path() / "b");
  fs::create_hard_link(tmp.path() / "a", tmp.path() / "c");
  const auto e = WalkAll(tmp.path());
  REQUIRE(e.size() == 4);
  CHECK(e[1].type == EntryType::kFile);
  CHECK(e[1].size == 4);
  CHECK(e[1].nlink == 3);
  for (int i : {2, 3}) {
    CHECK(e[i].type == EntryType::kHardlink);
    CHECK(e[i].link_target == "a");
    CHECK(e[i].size == 0);
  }
}

TEST_CASE("TreeWalker: sockets are skipped with a warning, not an error", "[unit]") {
  TempDir tmp;
  Touch(tmp.path() / "file");
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string sock = (tmp.path() / "sock").string();
  REQUIRE(sock.size() < sizeof addr.sun_path);
  std::memcpy(addr.sun_path, sock.c_str(), sock.size() + 1);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  std::vector<Status> warnings;
  CHECK(Paths(WalkAll(tmp.path(), {}, &warnings)) == std::vector<std::string>{".", "file"});
  ::close(fd);
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0].message(), Catch::Contains("\"sock\"") && Catch::Contains("socket"));
}

TEST_CASE("TreeWalker: sparse files list their data regions and read as their concatenation",
          "[unit]") {
  TempDir tmp;
  const fs::path p = tmp.path() / "sparse";
  const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(::ftruncate(fd, 16 << 20) == 0);
  REQUIRE(::pwrite(fd, std::string(4096, 'a').data(), 4096, 0) == 4096);
  REQUIRE(::pwrite(fd, std::string(4096, 'b').data(), 4096, 8 << 20) == 4096);
  ::close(fd);
  const int hole_fd = ::open((tmp.path() / "hole").c_str(), O_WRONLY | O_CREAT, 0644);
  REQUIRE(::ftruncate(hole_fd, 1 << 20) == 0);
  ::close(hole_fd);

  const auto entries = WalkAll(tmp.path());
  REQUIRE(entries.size() == 3);
  const TreeEntry& hole = entries[1];
  CHECK(hole.sparse == std::vector<DataRegion>{{1 << 20, 0}});
  CHECK(hole.ContentLength() == 0);
  const TreeEntry& sparse = entries[2];
  CHECK(sparse.sparse == std::vector<DataRegion>{{0, 4096}, {8 << 20, 4096}});
  CHECK(sparse.ContentLength() == 8192);

  auto reader = FileContentReader::Open(p, sparse);
  REQUIRE(reader.ok());
  std::string content;
  std::vector<std::uint8_t> buf(3000);  // not a multiple of anything
  while (true) {
    auto n = (*reader)->Read(buf);
    REQUIRE(n.ok());
    if (*n == 0) break;
    content.append(reinterpret_cast<const char*>(buf.data()), *n);
  }
  CHECK(content == std::string(4096, 'a') + std::string(4096, 'b'));
  CHECK((*reader)->CheckUnchanged().ok());
}

TEST_CASE("FileContentReader: a file that shrinks while read gives zeros and a warning status",
          "[unit]") {
  TempDir tmp;
  const fs::path p = tmp.path() / "f";
  Touch(p, std::string(10000, 'x'));
  const auto entries = WalkAll(tmp.path());
  REQUIRE(entries.size() == 2);
  auto reader = FileContentReader::Open(p, entries[1]);
  REQUIRE(reader.ok());
  fs::resize_file(p, 100);
  std::vector<std::uint8_t> buf(1 << 16);
  auto n = (*reader)->Read(buf);
  REQUIRE(n.ok());
  CHECK(*n == 10000);  // exactly the content the entry promised
  CHECK(buf[99] == 'x');
  CHECK(buf[100] == 0);
  CHECK(buf[9999] == 0);
  auto end = (*reader)->Read(buf);
  REQUIRE(end.ok());
  CHECK(*end == 0);
  const Status s = (*reader)->CheckUnchanged();
  CHECK_FALSE(s.ok());
  CHECK_THAT(s.message(),
             Catch::Contains("changed while being read") && Catch::Contains("size 10000 -> 100"));
}

TEST_CASE("FileContentReader: a path that became a symlink or a directory is refused", "[unit]") {
  TempDir tmp;
  Touch(tmp.path() / "f", "abc");
  const auto entries = WalkAll(tmp.path());
  fs::remove(tmp.path() / "f");
  fs::create_symlink("/etc/passwd", tmp.path() / "f");
  CHECK_FALSE(FileContentReader::Open(tmp.path() / "f", entries[1]).ok());
  fs::remove(tmp.path() / "f");
  fs::create_directory(tmp.path() / "f");
  CHECK_FALSE(FileContentReader::Open(tmp.path() / "f", entries[1]).ok());
}

TEST_CASE("TreeWalker: one_file_system lists a mount point but does not descend into it",
          "[integration]") {
  TempDir tmp;
  fs::create_directories(tmp.path() / "mnt");
  if (::mount("cairn-test", (tmp.path() / "mnt").c_str(), "tmpfs", 0, "size=1m") != 0) {
    WARN("cannot mount a tmpfs here (" << std::strerror(errno) << "): one_file_system not tested");
    return;
  }
  Touch(tmp.path() / "mnt/inside");
  const auto same_fs = WalkAll(tmp.path());
  WalkOptions all;
  all.one_file_system = false;
  const auto every_fs = WalkAll(tmp.path(), all);
  ::umount((tmp.path() / "mnt").c_str());
  CHECK(Paths(same_fs) == std::vector<std::string>{".", "mnt"});
  CHECK(Paths(every_fs) == std::vector<std::string>{".", "mnt", "mnt/inside"});
}

TEST_CASE("TreeWalker: a missing root is an error naming it", "[unit]") {
  auto walker = TreeWalker::Open("/nonexistent/cairn/root");
  REQUIRE_FALSE(walker.ok());
  CHECK(walker.status().IsNotFound());
  CHECK_THAT(walker.status().message(), Catch::Contains("/nonexistent/cairn/root"));
}

}  // namespace
}  // namespace cairn
