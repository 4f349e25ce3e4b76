// Fuzz target: a tar stream restored into a directory -- the entries of
// core/engine/tar_stream_source.h (TarSource: libarchive's tar reader, path
// normalisation and validation) written by core/tree/tree_restorer.h, the
// sink that must never write outside its target.
//
// Per input: a fresh target dir at <scratch>/tar/a/b/target, the stream's
// entries restored into it one by one as the engine does (content read,
// sparse map completed, Begin/Write/End, Finish), then the oracle: the
// sandbox around the target -- <scratch>/tar, a, a/b and a sentinel file in
// each -- must be exactly as before (no new or missing names, same mode,
// owner, size, link count and sentinel content), so nothing was created,
// changed or linked outside the target, by "..", an absolute path, a
// symlink or a hard link.
//
// The process drops CAP_MKNOD first: tests run as root, and a fuzzed device
// node on a shared machine is not worth the coverage (a device entry is then
// refused, as in any unprivileged restore).
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>

#include "core/engine/tar_stream_source.h"
#include "core/tree/tree_restorer.h"
#include "tests/fuzz/fuzz_support.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

// Content read per input, over all entries: a compressed stream can expand
// a small input a thousandfold; past this the input is abandoned.
constexpr std::uint64_t kMaxContentBytes = 8u << 20;

void DropMknod() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct caps[2] = {};
  if (syscall(SYS_capget, &header, caps) != 0) return;  // not privileged: nothing to drop
  caps[CAP_MKNOD / 32].effective &= ~(1u << (CAP_MKNOD % 32));
  caps[CAP_MKNOD / 32].permitted &= ~(1u << (CAP_MKNOD % 32));
  CAIRN_FUZZ_CHECK(syscall(SYS_capset, &header, caps) == 0, "capset failed");
}

struct Seen {
  mode_t mode;
  uid_t uid;
  gid_t gid;
  nlink_t nlink;
  off_t size;
  std::string content;  // regular files
  friend bool operator==(const Seen&, const Seen&) = default;
};

struct Sandbox {
  fs::path root;    // <scratch>/tar
  fs::path target;  // root/a/b/target
  std::map<std::string, Seen> before;
};

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Everything under the sandbox root but the target's own subtree.
std::map<std::string, Seen> Snapshot(const Sandbox& box) {
  std::map<std::string, Seen> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(box.root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path() == box.target) {
      it.disable_recursion_pending();
      continue;
    }
    struct stat st;
    CAIRN_FUZZ_CHECK(::lstat(it->path().c_str(), &st) == 0, "lstat " + it->path().string());
    Seen s{st.st_mode, st.st_uid, st.st_gid, st.st_nlink, st.st_size, {}};
    if (S_ISREG(st.st_mode)) s.content = ReadAll(it->path());
    out.emplace(fs::relative(it->path(), box.root).string(), std::move(s));
  }
  CAIRN_FUZZ_CHECK(!ec, "walking the sandbox: " + ec.message());
  return out;
}

Sandbox& GetSandbox() {
  static Sandbox* box = [] {
    DropMknod();
    auto* b = new Sandbox();
    b->root = fuzz::ScratchDir() / "tar";
    b->target = b->root / "a" / "b" / "target";
    fs::create_directories(b->target);  // as it is after each input (a/b's link count)
    for (const fs::path& dir : {b->root, b->root / "a", b->root / "a" / "b"}) {
      std::ofstream(dir / "sentinel") << "outside the target: must not change\n";
    }
    b->before = Snapshot(*b);
    return b;
  }();
  return *box;
}

// Restores what it can; stops at the first error that is not a refused
// entry, as `cairnctl backup --source -` would.
void Restore(int fd, TreeRestorer& sink) {
  auto source = TarStreamSource::Open(fd);
  if (!source.ok()) return;
  std::uint64_t content_total = 0;
  Bytes buf(64 << 10);
  for (;;) {
    auto next = (*source)->Next();
    if (!next.ok()) {
      fuzz::Debug("tar entry", next.status());
      if (next.error().IsInvalidArgument() &&
          next.error().message().find("cannot continue") == std::string::npos) {
        continue;  // a refused entry; the stream goes on
      }
      break;
    }
    if (!next->has_value()) break;
    TreeEntry entry = std::move(**next);
    auto content = (*source)->OpenContent(entry);
    if (!content.ok()) break;
    Bytes data;
    bool read_failed = false;
    for (;;) {
      auto n = (*content)->Read(buf);
      if (!n.ok()) {
        read_failed = true;
        break;
      }
      if (*n == 0) break;
      content_total += *n;
      if (content_total > kMaxContentBytes) return;
      data.insert(data.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
    }
    if (read_failed) break;
    if (!(*content)->Finish(entry).ok()) continue;
    const Status begun = sink.Begin(entry);
    fuzz::Debug("restore " + entry.path, begun);
    if (!begun.ok()) continue;
    sink.Write(0, data).IgnoreError();  // refusals are reported per entry; the oracle judges
    sink.End().IgnoreError();
  }
}

}  // namespace
}  // namespace cairn

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cairn;
  Sandbox& box = GetSandbox();
  std::error_code ec;
  fs::remove_all(box.target, ec);
  CAIRN_FUZZ_CHECK(!ec, "cleaning the target: " + ec.message());
  fs::create_directory(box.target, ec);
  CAIRN_FUZZ_CHECK(!ec, "making the target: " + ec.message());

  const int fd = memfd_create("tar-input", MFD_CLOEXEC);
  CAIRN_FUZZ_CHECK(fd >= 0, "memfd_create");
  CAIRN_FUZZ_CHECK(write(fd, data, size) == static_cast<ssize_t>(size), "memfd write");
  CAIRN_FUZZ_CHECK(lseek(fd, 0, SEEK_SET) == 0, "memfd seek");
  {
    auto sink = TreeRestorer::Create(box.target);
    CAIRN_FUZZ_CHECK(sink.ok(), sink.error().ToString());
    Restore(fd, **sink);
    (*sink)->Finish().IgnoreError();
    (*sink)->TakeFailedEntries();
  }
  close(fd);

  const std::map<std::string, Seen> after = Snapshot(box);
  for (const auto& [path, seen] : after) {
    auto it = box.before.find(path);
    CAIRN_FUZZ_CHECK(it != box.before.end(), "written outside the target: " + path);
    CAIRN_FUZZ_CHECK(it->second == seen, "changed outside the target: " + path);
  }
  CAIRN_FUZZ_CHECK(after.size() == box.before.size(), "something outside the target was removed");
  return 0;
}
