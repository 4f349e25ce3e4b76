// TreeWalker: lists a source directory as TreeEntry metadata (no content),
// for backing up volume files.
//
// Order is deterministic: depth first, parent before children, the children
// of a directory sorted by name (bytewise). The root directory itself is the
// first entry, with path "." -- it carries the root's mode, owner, times and
// xattrs so a restore can apply them to the target directory.
//
// lstat-based: symlinks are listed, never followed (only the root path given
// to Open may be a symlink). The second and later paths of an inode with
// nlink > 1 come out as kHardlink entries naming the first path. Sparse
// regular files (st_blocks * 512 < st_size) get their data regions from
// SEEK_DATA/SEEK_HOLE. Sockets are skipped (tar cannot hold them either).
//
// Problems with one entry (EACCES, a file that vanished, a path too long
// for a snapshot, an unreadable xattr) do not stop the walk: they are
// collected in warnings() and the entry is skipped or listed without what
// could not be read. Errors returned by Next() mean the walk cannot go on.
//
// Thread-safety: a TreeWalker belongs to one thread at a time.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "core/tree/tree_entry.h"

namespace cairn {

struct WalkOptions {
  // Do not descend into directories on another device than the root. The
  // mount point directory itself is still listed (as GNU tar does).
  bool one_file_system = true;
  // fnmatch(3) patterns. A pattern containing '/' is matched against the
  // whole relative path (FNM_PATHNAME), any other against the entry's name.
  // An excluded directory is skipped with everything below it. The root is
  // never excluded.
  std::vector<std::string> exclude;
  // Read extended attributes (llistxattr/lgetxattr, every namespace).
  bool read_xattrs = true;
};

class TreeWalker {
 public:
  // Opens `root` (a directory; a symlink to one is followed) for walking.
  static Result<std::unique_ptr<TreeWalker>> Open(const std::filesystem::path& root,
                                                  WalkOptions options = {});
  ~TreeWalker();
  TreeWalker(const TreeWalker&) = delete;
  TreeWalker& operator=(const TreeWalker&) = delete;

  // The next entry, or nullopt after the last one.
  Result<std::optional<TreeEntry>> Next();
  // Calls `fn` for every remaining entry; stops at and returns the first
  // non-ok Status from `fn` or from Next().
  Status Walk(const std::function<Status(const TreeEntry&)>& fn);

  // Per-entry problems so far, each message naming the path.
  const std::vector<Status>& warnings() const { return warnings_; }
  // The canonical (realpath) root; entry paths are relative to it.
  const std::filesystem::path& root() const { return root_; }

 private:
  struct Frame {
    std::string prefix;  // relative path of the directory; "" for the root
    std::vector<std::string> names;
    std::size_t next = 0;
  };

  TreeWalker(std::filesystem::path root, int root_fd, WalkOptions options);

  bool Excluded(const std::string& rel, const std::string& name) const;
  void Warn(Status s) { warnings_.push_back(std::move(s)); }
  // Lists a directory into a new frame; a failure is a warning and an empty frame.
  void PushDirectory(const std::string& rel);
  // Builds the entry for `rel` from its lstat; nullopt when it must be skipped.
  std::optional<TreeEntry> MakeEntry(const std::string& rel, const struct stat& st);
  void ReadXattrs(const std::string& rel, TreeEntry& entry);
  void ReadSparseMap(const std::string& rel, TreeEntry& entry);
  const std::string& UserName(uid_t uid);
  const std::string& GroupName(gid_t gid);

  std::filesystem::path root_;
  int root_fd_;
  dev_t root_dev_ = 0;
  WalkOptions options_;
  bool started_ = false;
  std::vector<Frame> stack_;
  std::vector<Status> warnings_;
  // (device, inode) -> first path, for inodes with nlink > 1.
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::string> first_paths_;
  std::unordered_map<uid_t, std::string> user_names_;
  std::unordered_map<gid_t, std::string> group_names_;
};

}  // namespace cairn
