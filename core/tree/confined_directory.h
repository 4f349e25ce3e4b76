// ConfinedDirectories: opens directories under a root directory without ever
// following a symlink, by walking the path one component at a time with
// openat(O_NOFOLLOW | O_DIRECTORY) from the root's descriptor. What it returns
// is therefore inside the root by construction, whatever the tree holds.
//
// Restores write entries in walk order (parents before children, siblings
// together), so the last directory opened is cached: most files cost one
// openat of their own and nothing for their parent. Missing directories are
// created (0700; the restorer fixes modes at the end) so a tar stream without
// directory entries still restores.
// Thread-safety: one thread.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace cairn {

class ConfinedDirectories {
 public:
  static Result<std::unique_ptr<ConfinedDirectories>> Open(const std::filesystem::path& root);
  ~ConfinedDirectories();
  ConfinedDirectories(const ConfinedDirectories&) = delete;
  ConfinedDirectories& operator=(const ConfinedDirectories&) = delete;

  // The descriptor of directory `relative` ("" for the root), owned by this
  // object and valid until the next call. A symlink or non-directory on the
  // way is PermissionDenied naming the component.
  Result<int> Directory(std::string_view relative);

 private:
  explicit ConfinedDirectories(int root_fd) : root_fd_(root_fd) {}
  int root_fd_;
  int cached_fd_ = -1;
  std::string cached_path_;
};

// Splits "a/b/c" into ("a/b", "c") and "c" into ("", "c").
std::pair<std::string_view, std::string_view> SplitParent(std::string_view path);

}  // namespace cairn
