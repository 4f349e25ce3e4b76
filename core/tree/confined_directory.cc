#include "core/tree/confined_directory.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace cairn {

std::pair<std::string_view, std::string_view> SplitParent(std::string_view path) {
  auto slash = path.rfind('/');
  if (slash == std::string_view::npos) return {std::string_view(), path};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

Result<std::unique_ptr<ConfinedDirectories>> ConfinedDirectories::Open(
    const std::filesystem::path& root) {
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "open restore target " + root.string());
  return std::unique_ptr<ConfinedDirectories>(new ConfinedDirectories(fd));
}

ConfinedDirectories::~ConfinedDirectories() {
  if (cached_fd_ >= 0) ::close(cached_fd_);
  ::close(root_fd_);
}

Result<int> ConfinedDirectories::Directory(std::string_view relative) {
  if (relative.empty()) return root_fd_;
  if (cached_fd_ >= 0 && relative == cached_path_) return cached_fd_;
  int current = root_fd_;
  std::size_t start = 0;
  while (start <= relative.size()) {
    std::size_t end = relative.find('/', start);
    if (end == std::string_view::npos) end = relative.size();
    std::string component(relative.substr(start, end - start));
    int next = ::openat(current, component.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0 && errno == ENOENT) {
      if (::mkdirat(current, component.c_str(), 0700) != 0 && errno != EEXIST) {
        int err = errno;
        if (current != root_fd_) ::close(current);
        return Status::FromErrno(err, "create directory " + std::string(relative.substr(0, end)));
      }
      next = ::openat(current, component.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    int err = errno;
    if (current != root_fd_) ::close(current);
    if (next < 0) {
      std::string where(relative.substr(0, end));
      if (err == ELOOP || err == ENOTDIR) {
        return Status::PermissionDenied("'" + where +
                                        "' is a symlink or not a directory: refusing to write "
                                        "through it");
      }
      return Status::FromErrno(err, "open directory " + where);
    }
    current = next;
    start = end + 1;
  }
  if (cached_fd_ >= 0) ::close(cached_fd_);
  cached_fd_ = current;
  cached_path_.assign(relative);
  return cached_fd_;
}

}  // namespace cairn
