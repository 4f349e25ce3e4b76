#include "core/tree/path_guard.h"

#include <cstdio>

namespace cairn {

std::string QuotePath(std::string_view path) {
  static constexpr std::size_t kMaxShown = 200;
  std::string out = "\"";
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (out.size() >= kMaxShown) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(path[i]);
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  return out;
}

namespace {

Status Refuse(std::string_view path, std::string_view what) {
  std::string msg = "path " + QuotePath(path) + ": ";
  msg += what;
  return Status::InvalidArgument(std::move(msg));
}

}  // namespace

Status ValidateRelativePath(std::string_view path) {
  if (path.empty()) return Refuse(path, "is empty");
  if (path.find('\0') != std::string_view::npos) return Refuse(path, "contains a NUL byte");
  if (path.size() > kMaxPathLength) {
    return Refuse(path, "is " + std::to_string(path.size()) + " bytes long; the limit is " +
                            std::to_string(kMaxPathLength));
  }
  if (path == ".") return Status::Ok();
  if (path.front() == '/')
    return Refuse(path, "is absolute (starts with '/'); entry paths are relative");
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = path.find('/', start);
    const std::string_view part = path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part.empty()) return Refuse(path, "has an empty component (a doubled or trailing '/')");
    if (part == "..") return Refuse(path, "has a '..' component");
    if (part == ".") return Refuse(path, "has a '.' component");
    if (part.size() > kMaxNameLength) {
      return Refuse(path, "has a component of " + std::to_string(part.size()) +
                              " bytes; the limit is " + std::to_string(kMaxNameLength));
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return Status::Ok();
}

Result<std::filesystem::path> ConfinedPath(const std::filesystem::path& target_root,
                                           std::string_view relative) {
  CAIRN_RETURN_IF_ERROR(ValidateRelativePath(relative));
  if (relative == ".") return target_root;
  return target_root / std::filesystem::path(std::string(relative));
}

}  // namespace cairn
