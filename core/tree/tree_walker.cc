#include "core/tree/tree_walker.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <grp.h>
#include <pwd.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include "core/base/c_deleter.h"
#include "core/tree/path_guard.h"

namespace cairn {

namespace {

using DirHandle = CHandle<DIR, closedir>;

std::int64_t ToNanos(const struct timespec& ts) {
  // Saturate outside the ~1677..2262 range int64 nanoseconds can hold.
  std::int64_t ns;
  if (__builtin_mul_overflow(static_cast<std::int64_t>(ts.tv_sec), 1000000000LL, &ns) ||
      __builtin_add_overflow(ns, static_cast<std::int64_t>(ts.tv_nsec), &ns)) {
    return ts.tv_sec < 0 ? INT64_MIN : INT64_MAX;
  }
  return ns;
}

Status EntryError(int err, const std::string& rel, std::string_view what) {
  return Status::FromErrno(err, std::string(what) + " " + QuotePath(rel));
}

}  // namespace

Result<std::unique_ptr<TreeWalker>> TreeWalker::Open(const std::filesystem::path& root,
                                                     WalkOptions options) {
  std::error_code ec;
  std::filesystem::path canonical = std::filesystem::canonical(root, ec);
  if (ec) return Status::FromErrno(ec.value(), "walk root " + root.string());
  const int fd = ::open(canonical.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "open walk root " + canonical.string());
  return std::unique_ptr<TreeWalker>(new TreeWalker(std::move(canonical), fd, std::move(options)));
}

TreeWalker::TreeWalker(std::filesystem::path root, int root_fd, WalkOptions options)
    : root_(std::move(root)), root_fd_(root_fd), options_(std::move(options)) {}

TreeWalker::~TreeWalker() { ::close(root_fd_); }

Status TreeWalker::Walk(const std::function<Status(const TreeEntry&)>& fn) {
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(std::optional<TreeEntry> entry, Next());
    if (!entry) return Status::Ok();
    CAIRN_RETURN_IF_ERROR(fn(*entry));
  }
}

Result<std::optional<TreeEntry>> TreeWalker::Next() {
  if (!started_) {
    started_ = true;
    struct stat st;
    if (::fstat(root_fd_, &st) != 0) return Status::FromErrno(errno, "stat " + root_.string());
    root_dev_ = st.st_dev;
    std::optional<TreeEntry> entry = MakeEntry(".", st);
    if (!entry) return Status::IoError("cannot read the walk root " + root_.string());
    PushDirectory("");
    return entry;
  }
  while (!stack_.empty()) {
    Frame& frame = stack_.back();
    if (frame.next == frame.names.size()) {
      stack_.pop_back();
      continue;
    }
    const std::string name = std::move(frame.names[frame.next++]);
    const std::string rel = frame.prefix.empty() ? name : frame.prefix + "/" + name;
    if (Excluded(rel, name)) continue;
    if (rel.size() > kMaxPathLength) {
      Warn(Status::InvalidArgument("skipping " + QuotePath(rel) + ": path longer than " +
                                   std::to_string(kMaxPathLength) + " bytes"));
      continue;
    }
    struct stat st;
    if (::fstatat(root_fd_, rel.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      Warn(EntryError(errno, rel, errno == ENOENT ? "vanished during the walk:" : "lstat"));
      continue;
    }
    std::optional<TreeEntry> entry = MakeEntry(rel, st);
    if (!entry) continue;
    if (entry->type == EntryType::kDirectory &&
        (!options_.one_file_system || st.st_dev == root_dev_)) {
      PushDirectory(rel);  // invalidates `frame`
    }
    return entry;
  }
  return std::optional<TreeEntry>();
}

bool TreeWalker::Excluded(const std::string& rel, const std::string& name) const {
  for (const std::string& pattern : options_.exclude) {
    const bool whole_path = pattern.find('/') != std::string::npos;
    if (::fnmatch(pattern.c_str(), whole_path ? rel.c_str() : name.c_str(),
                  whole_path ? FNM_PATHNAME : 0) == 0) {
      return true;
    }
  }
  return false;
}

void TreeWalker::PushDirectory(const std::string& rel) {
  Frame frame;
  frame.prefix = rel;
  const int fd = ::openat(root_fd_, rel.empty() ? "." : rel.c_str(),
                          O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    Warn(EntryError(errno, rel.empty() ? "." : rel, "open directory"));
    return;
  }
  DirHandle dir(::fdopendir(fd));
  if (!dir) {
    const int err = errno;
    ::close(fd);
    Warn(EntryError(err, rel, "fdopendir"));
    return;
  }
  while (true) {
    errno = 0;
    const struct dirent* d = ::readdir(dir.get());
    if (d == nullptr) {
      if (errno != 0) Warn(EntryError(errno, rel.empty() ? "." : rel, "read directory"));
      break;
    }
    const std::string_view name = d->d_name;
    if (name == "." || name == "..") continue;
    frame.names.emplace_back(name);
  }
  std::sort(frame.names.begin(), frame.names.end());
  stack_.push_back(std::move(frame));
}

std::optional<TreeEntry> TreeWalker::MakeEntry(const std::string& rel, const struct stat& st) {
  TreeEntry e;
  e.path = rel;
  switch (st.st_mode & S_IFMT) {
    case S_IFREG:
      e.type = EntryType::kFile;
      break;
    case S_IFDIR:
      e.type = EntryType::kDirectory;
      break;
    case S_IFLNK:
      e.type = EntryType::kSymlink;
      break;
    case S_IFCHR:
      e.type = EntryType::kCharDevice;
      break;
    case S_IFBLK:
      e.type = EntryType::kBlockDevice;
      break;
    case S_IFIFO:
      e.type = EntryType::kFifo;
      break;
    default:
      Warn(Status::InvalidArgument("skipping " + QuotePath(rel) +
                                   ": sockets and other special files cannot be backed up"));
      return std::nullopt;
  }
  e.mode = st.st_mode & 07777;
  e.uid = st.st_uid;
  e.gid = st.st_gid;
  e.uname = UserName(st.st_uid);
  e.gname = GroupName(st.st_gid);
  e.mtime_ns = ToNanos(st.st_mtim);
  e.atime_ns = ToNanos(st.st_atim);
  e.ctime_ns = ToNanos(st.st_ctim);
  e.inode = st.st_ino;
  e.device = st.st_dev;
  e.nlink = st.st_nlink;

  if (e.type != EntryType::kDirectory && st.st_nlink > 1) {
    auto [it, inserted] = first_paths_.try_emplace({st.st_dev, st.st_ino}, rel);
    if (!inserted) {
      e.type = EntryType::kHardlink;
      e.link_target = it->second;
      return e;  // the first path carries size, content, device number and xattrs
    }
  }

  switch (e.type) {
    case EntryType::kFile:
      e.size = static_cast<std::uint64_t>(st.st_size);
      if (static_cast<std::uint64_t>(st.st_blocks) * 512 < e.size) ReadSparseMap(rel, e);
      break;
    case EntryType::kSymlink: {
      std::string target(kMaxLinkTarget + 1, '\0');
      const ssize_t n = ::readlinkat(root_fd_, rel.c_str(), target.data(), target.size());
      if (n < 0) {
        Warn(EntryError(errno, rel, "readlink"));
        return std::nullopt;
      }
      if (static_cast<std::size_t>(n) > kMaxLinkTarget || n == 0) {
        Warn(Status::InvalidArgument("skipping symlink " + QuotePath(rel) +
                                     ": target is empty or longer than " +
                                     std::to_string(kMaxLinkTarget) + " bytes"));
        return std::nullopt;
      }
      target.resize(static_cast<std::size_t>(n));
      e.link_target = std::move(target);
      break;
    }
    case EntryType::kCharDevice:
    case EntryType::kBlockDevice:
      e.rdev_major = major(st.st_rdev);
      e.rdev_minor = minor(st.st_rdev);
      break;
    default:
      break;
  }
  if (options_.read_xattrs) ReadXattrs(rel, e);
  return e;
}

void TreeWalker::ReadXattrs(const std::string& rel, TreeEntry& e) {
  // No *at() variants exist for xattrs, and symlinks cannot be opened, so
  // this goes by absolute path with the l* calls (which do not follow).
  const std::string path = rel == "." ? root_.string() : (root_ / rel).string();
  std::vector<char> names;
  for (int attempt = 0;; ++attempt) {
    const ssize_t size = ::llistxattr(path.c_str(), nullptr, 0);
    if (size < 0) {
      if (errno != ENOTSUP && errno != ENODATA) Warn(EntryError(errno, rel, "list xattrs of"));
      return;
    }
    names.resize(static_cast<std::size_t>(size));
    const ssize_t got = size == 0 ? 0 : ::llistxattr(path.c_str(), names.data(), names.size());
    if (got >= 0) {
      names.resize(static_cast<std::size_t>(got));
      break;
    }
    if (errno != ERANGE || attempt == 3) {
      Warn(EntryError(errno, rel, "list xattrs of"));
      return;
    }
  }
  std::vector<std::uint8_t> value;
  for (std::size_t pos = 0; pos < names.size();) {
    const std::string name(names.data() + pos);
    pos += name.size() + 1;
    if (name.empty()) continue;
    if (e.xattrs.size() == kMaxXattrs) {
      Warn(Status::InvalidArgument("xattrs of " + QuotePath(rel) + ": more than " +
                                   std::to_string(kMaxXattrs) + "; the rest are left out"));
      return;
    }
    value.resize(kMaxXattrValue);
    const ssize_t n = ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
    if (n < 0) {
      if (errno != ENODATA) Warn(EntryError(errno, rel, "read xattr " + name + " of"));
      continue;
    }
    e.xattrs.emplace_back(name, Bytes(value.begin(), value.begin() + n));
  }
}

void TreeWalker::ReadSparseMap(const std::string& rel, TreeEntry& e) {
  int fd = ::openat(root_fd_, rel.c_str(),
                    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | O_NOATIME);
  if (fd < 0 && errno == EPERM) {
    fd = ::openat(root_fd_, rel.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  }
  if (fd < 0) return;  // the content reader will report why it cannot be read
  std::vector<DataRegion> regions;
  const auto size = static_cast<off_t>(e.size);
  off_t pos = 0;
  bool ok = true;
  while (pos < size) {
    const off_t data = ::lseek(fd, pos, SEEK_DATA);
    if (data < 0) {
      ok = errno == ENXIO;  // no data after pos: the rest is a hole
      break;
    }
    if (data >= size) break;
    off_t hole = ::lseek(fd, data, SEEK_HOLE);
    if (hole < 0) {
      ok = false;
      break;
    }
    hole = std::min(hole, size);
    regions.push_back({static_cast<std::uint64_t>(data), static_cast<std::uint64_t>(hole - data)});
    if (regions.size() > kMaxDataRegions) {
      ok = false;
      break;
    }
    pos = hole;
  }
  ::close(fd);
  if (!ok) return;  // no SEEK_DATA support, or too fragmented: store it whole
  if (regions.empty()) {
    e.sparse = {{e.size, 0}};  // all hole
  } else if (!(regions.size() == 1 && regions[0].offset == 0 && regions[0].length == e.size)) {
    e.sparse = std::move(regions);
  }
}

const std::string& TreeWalker::UserName(uid_t uid) {
  auto [it, inserted] = user_names_.try_emplace(uid);
  if (!inserted) return it->second;
  std::vector<char> buf(1024);
  struct passwd pw;
  struct passwd* found = nullptr;
  int rc;
  while ((rc = ::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found)) == ERANGE &&
         buf.size() < (1u << 20)) {
    buf.resize(buf.size() * 2);
  }
  if (rc == 0 && found != nullptr && std::string_view(pw.pw_name).size() <= kMaxOwnerName) {
    it->second = pw.pw_name;
  }
  return it->second;
}

const std::string& TreeWalker::GroupName(gid_t gid) {
  auto [it, inserted] = group_names_.try_emplace(gid);
  if (!inserted) return it->second;
  std::vector<char> buf(1024);
  struct group gr;
  struct group* found = nullptr;
  int rc;
  while ((rc = ::getgrgid_r(gid, &gr, buf.data(), buf.size(), &found)) == ERANGE &&
         buf.size() < (1u << 20)) {
    buf.resize(buf.size() * 2);
  }
  if (rc == 0 && found != nullptr && std::string_view(gr.gr_name).size() <= kMaxOwnerName) {
    it->second = gr.gr_name;
  }
  return it->second;
}

}  // namespace cairn
