// Round trips of a tree holding every entry type: walk -> TreeRestorer, and
// walk -> TarWriter -> TarSource -> TreeRestorer, compared entry by entry.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/tree/file_content_reader.h"
#include "core/tree/tar_source.h"
#include "core/tree/tar_writer.h"
#include "core/tree/tree_restorer.h"
#include "core/tree/tree_walker.h"
#include "tests/support/temp_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

bool XattrsWork(const fs::path& dir) {
  const fs::path probe = dir / ".cairn-xattr-probe";
  { std::ofstream(probe) << "x"; }
  const bool ok = ::lsetxattr(probe.c_str(), "user.cairn_probe", "1", 1, 0) == 0;
  fs::remove(probe);
  return ok;
}

// A scratch directory on a filesystem with user xattrs if there is one.

void WriteFile(const fs::path& p, const Bytes& data) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  REQUIRE(out.good());
}

Bytes Random(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (auto& c : b) c = static_cast<std::uint8_t>(rng());
  return b;
}

struct Fixture {
  bool device = false;
  bool xattrs = false;
};

Fixture BuildTree(const fs::path& root) {
  Fixture f;
  const bool is_root = ::geteuid() == 0;
  fs::create_directories(root / "dir/nested");
  WriteFile(root / "empty.txt", {});
  WriteFile(root / "small.txt", Bytes{'h', 'e', 'l', 'l', 'o', '\n'});
  WriteFile(root / "medium.bin", Random(300 * 1024 + 7, 1));
  WriteFile(root / "big.bin", Random(3 * 1024 * 1024 + 17, 2));
  WriteFile(root / "dir/nested/deep.txt", Bytes(10, 'd'));
  WriteFile(root / "\xc3\xa9t\xc3\xa9.txt", Bytes{'u', 't', 'f'});
  WriteFile(root / "latin1-\xe9", Bytes{'l'});  // not UTF-8
  fs::create_symlink("\xc3\xa9t\xc3\xa9.txt", root / "link-utf8");
  fs::create_hard_link(root / "latin1-\xe9", root / "z-hard-latin1");
  fs::create_symlink("../small.txt", root / "dir/link-rel");
  fs::create_symlink("/etc/hostname", root / "link-abs");
  WriteFile(root / "hard1", Bytes(5000, 'h'));
  fs::create_hard_link(root / "hard1", root / "hard2");
  REQUIRE(::mkfifo((root / "fifo").c_str(), 0640) == 0);
  if (is_root && ::mknod((root / "null-dev").c_str(), S_IFCHR | 0600, makedev(1, 3)) == 0) {
    f.device = true;
  }
  WriteFile(root / "setuid", Bytes{'#', '!'});
  REQUIRE(::chmod((root / "setuid").c_str(), 04755) == 0);
  WriteFile(root / "owned", Bytes{'o'});
  if (is_root) REQUIRE(::chown((root / "owned").c_str(), 1234, 5678) == 0);
  REQUIRE(::chmod((root / "owned").c_str(), 02640) == 0);
  fs::create_directories(root / "sticky");
  REQUIRE(::chmod((root / "sticky").c_str(), 01777) == 0);
  WriteFile(root / "xattr.txt", Bytes{'x'});
  f.xattrs = XattrsWork(root);
  if (f.xattrs) {
    REQUIRE(::lsetxattr((root / "xattr.txt").c_str(), "user.cairn.text", "value", 5, 0) == 0);
    const char bin[] = {0, '\xff', 0x10};
    REQUIRE(::lsetxattr((root / "xattr.txt").c_str(), "user.cairn.bin", bin, 3, 0) == 0);
    REQUIRE(::lsetxattr((root / "dir").c_str(), "user.cairn.dir", "d", 1, 0) == 0);
  } else {
    WARN("no user xattr support on " << root << ": xattrs not tested");
  }
  // 64 MiB, two small data regions.
  {
    const int fd = ::open((root / "sparse.img").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, 64 << 20) == 0);
    const Bytes a = Random(4096, 3), b = Random(8192, 4);
    REQUIRE(::pwrite(fd, a.data(), a.size(), 1 << 20) == 4096);
    REQUIRE(::pwrite(fd, b.data(), b.size(), 40 << 20) == 8192);
    ::close(fd);
  }
  if (is_root) {
    fs::create_directories(root / "locked");
    WriteFile(root / "locked/inner.txt", Bytes{'i'});
    REQUIRE(::chmod((root / "locked").c_str(), 0) == 0);
  }
  // Deterministic nanosecond times, children before parents.
  std::vector<fs::path> all;
  for (const auto& de : fs::recursive_directory_iterator(root)) all.push_back(de.path());
  std::sort(all.begin(), all.end(), [](const fs::path& a, const fs::path& b) {
    return a.string().size() > b.string().size();
  });
  all.push_back(root);
  std::int64_t t = 1600000000;
  for (const fs::path& p : all) {
    struct timespec ts[2] = {{t, 111}, {t + 5, 123456789}};
    REQUIRE(::utimensat(AT_FDCWD, p.c_str(), ts, AT_SYMLINK_NOFOLLOW) == 0);
    t += 1000;
  }
  return f;
}

std::vector<TreeEntry> WalkAll(const fs::path& root) {
  auto walker = TreeWalker::Open(root);
  REQUIRE(walker.ok());
  std::vector<TreeEntry> entries;
  REQUIRE((*walker)
              ->Walk([&](const TreeEntry& e) {
                entries.push_back(e);
                return Status::Ok();
              })
              .ok());
  for (const Status& w : (*walker)->warnings()) WARN(w.ToString());
  CHECK((*walker)->warnings().empty());
  return entries;
}

Bytes ReadContent(const fs::path& root, const TreeEntry& e) {
  auto reader = FileContentReader::Open(root / e.path, e);
  REQUIRE(reader.ok());
  Bytes out, buf(1 << 20);
  while (true) {
    auto n = (*reader)->Read(buf);
    REQUIRE(n.ok());
    if (*n == 0) break;
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
  }
  CHECK((*reader)->CheckUnchanged().ok());
  CHECK(out.size() == e.ContentLength());
  return out;
}

void CompareTrees(const fs::path& a, const fs::path& b, const Fixture& f) {
  const std::vector<TreeEntry> left = WalkAll(a), right = WalkAll(b);
  REQUIRE(left.size() == right.size());
  for (std::size_t i = 0; i < left.size(); ++i) {
    const TreeEntry &x = left[i], &y = right[i];
    INFO("entry " << x.path);
    CHECK(x.path == y.path);
    CHECK(x.type == y.type);
    CHECK(x.mode == y.mode);
    CHECK(x.uid == y.uid);
    CHECK(x.gid == y.gid);
    CHECK(x.uname == y.uname);
    CHECK(x.gname == y.gname);
    CHECK(x.mtime_ns == y.mtime_ns);
    CHECK(x.size == y.size);
    CHECK(x.link_target == y.link_target);
    CHECK(x.rdev_major == y.rdev_major);
    CHECK(x.rdev_minor == y.rdev_minor);
    if (x.type != EntryType::kDirectory) CHECK(x.nlink == y.nlink);
    if (f.xattrs) CHECK(x.xattrs == y.xattrs);
    CHECK(x.sparse == y.sparse);
    if (x.type == EntryType::kFile && x.path != "locked/inner.txt") {
      CHECK(ReadContent(a, x) == ReadContent(b, y));
    }
  }
  // The things the fixture is about are really there.
  auto find = [&](const std::string& p) -> const TreeEntry& {
    auto it =
        std::find_if(right.begin(), right.end(), [&](const TreeEntry& e) { return e.path == p; });
    REQUIRE(it != right.end());
    return *it;
  };
  CHECK(find("hard2").type == EntryType::kHardlink);
  CHECK(find("hard2").link_target == "hard1");
  CHECK(find("fifo").type == EntryType::kFifo);
  CHECK(find("setuid").mode == 04755);
  CHECK(find("dir/link-rel").link_target == "../small.txt");
  CHECK(find("link-abs").link_target == "/etc/hostname");
  CHECK(find("sparse.img").sparse == std::vector<DataRegion>{{1 << 20, 4096}, {40 << 20, 8192}});
  if (::geteuid() == 0) {
    CHECK(find("owned").uid == 1234);
    CHECK(find("owned").gid == 5678);
    CHECK(find("locked").mode == 0);
  }
  if (f.device) CHECK(find("null-dev").type == EntryType::kCharDevice);
  if (f.xattrs) CHECK(find("xattr.txt").xattrs.size() == 2);
  CHECK(find(".").mtime_ns == left.front().mtime_ns);
  struct stat st;
  REQUIRE(::stat((b / "sparse.img").c_str(), &st) == 0);
  CHECK(st.st_size == 64 << 20);
  CHECK(st.st_blocks * 512 < 1 << 20);  // still sparse
}

// Feeds every entry of `src`, content read with FileContentReader, to `sink`.
void SendWalk(const fs::path& src, EntrySink& sink) {
  auto walker = TreeWalker::Open(src);
  REQUIRE(walker.ok());
  Bytes buf(1 << 20);
  const Status s = (*walker)->Walk([&](const TreeEntry& e) -> Status {
    CAIRN_RETURN_IF_ERROR(sink.Begin(e));
    if (e.type == EntryType::kFile) {
      CAIRN_ASSIGN_OR_RETURN(auto reader, FileContentReader::Open((*walker)->root() / e.path, e));
      std::uint64_t offset = 0;
      while (true) {
        CAIRN_ASSIGN_OR_RETURN(std::size_t n, reader->Read(buf));
        if (n == 0) break;
        CAIRN_RETURN_IF_ERROR(sink.Write(offset, ByteSpan(buf.data(), n)));
        offset += n;
      }
      CAIRN_RETURN_IF_ERROR(reader->CheckUnchanged());
    }
    return sink.End();
  });
  INFO(s.ToString());
  REQUIRE(s.ok());
  REQUIRE(sink.Finish().ok());
  for (const Status& w : sink.warnings()) WARN(w.ToString());
  CHECK(sink.warnings().empty());
}

TEST_CASE("TreeRestorer: a walked tree with every entry type is restored identically",
          "[integration]") {
  TempDir tmp;
  const fs::path src = tmp.path() / "src", dst = tmp.path() / "dst";
  fs::create_directories(src);
  const Fixture f = BuildTree(src);
  auto restorer = TreeRestorer::Create(dst);
  REQUIRE(restorer.ok());
  SendWalk(src, **restorer);
  CompareTrees(src, dst, f);
}

TEST_CASE("TarWriter and TarSource: a tree survives a pax tar round trip into a TreeRestorer",
          "[integration]") {
  TempDir tmp;
  const fs::path src = tmp.path() / "src", dst = tmp.path() / "dst";
  const fs::path tar = tmp.path() / "tree.tar";
  fs::create_directories(src);
  const Fixture f = BuildTree(src);
  {
    const int fd = ::open(tar.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    auto writer = TarWriter::Create(fd);
    REQUIRE(writer.ok());
    SendWalk(src, **writer);
    ::close(fd);
  }
  // The 64 MiB sparse file takes only its data regions in the stream.
  CHECK(fs::file_size(tar) < 8 << 20);

  const int fd = ::open(tar.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  auto source = TarSource::Open(fd);
  REQUIRE(source.ok());
  auto restorer = TreeRestorer::Create(dst);
  REQUIRE(restorer.ok());
  Bytes buf(256 * 1024);
  while (true) {
    auto next = (*source)->Next();
    INFO(next.status().ToString());
    REQUIRE(next.ok());
    if (!next->has_value()) break;
    TreeEntry e = std::move(**next);
    Bytes content;
    while (true) {
      auto n = (*source)->ReadData(buf);
      REQUIRE(n.ok());
      if (*n == 0) break;
      content.insert(content.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
    }
    e.sparse = (*source)->sparse();  // known once the data went by
    INFO("entry " << e.path);
    REQUIRE(content.size() == e.ContentLength());
    REQUIRE((*restorer)->Begin(e).ok());
    if (!content.empty()) REQUIRE((*restorer)->Write(0, content).ok());
    REQUIRE((*restorer)->End().ok());
  }
  ::close(fd);
  for (const Status& w : (*source)->warnings()) WARN(w.ToString());
  CHECK((*source)->warnings().empty());
  REQUIRE((*restorer)->Finish().ok());
  CHECK((*restorer)->warnings().empty());
  CompareTrees(src, dst, f);
}

}  // namespace
}  // namespace cairn
