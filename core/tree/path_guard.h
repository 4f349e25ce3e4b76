// Path guard: the one place that decides whether a path taken from a snapshot,
// a tar stream or an agent may name something inside a restore target.
//
// Every entry path in Cairn is relative, '/'-separated, without a leading '/',
// without "." or ".." components (the root itself is the single path "."),
// without empty components (no doubled or trailing '/'), without NUL bytes,
// at most kMaxPathLength bytes long, each component at most
// kMaxNameLength bytes. These checks are lexical; they cannot see symlinks
// already on disk. Symlink escapes are stopped where files are created
// (TreeRestorer relies on archive_write_disk's SECURE_SYMLINKS check).
//
// Thread-safety: pure functions, safe from any thread.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace cairn {

inline constexpr std::size_t kMaxPathLength = 4096;  // bytes, as Linux PATH_MAX
inline constexpr std::size_t kMaxNameLength = 255;   // bytes per component, as NAME_MAX

// Ok when `path` is a valid relative entry path (see above); otherwise
// InvalidArgument whose message quotes the path and says what was wrong, e.g.
//   path "a/../../x": has a '..' component
Status ValidateRelativePath(std::string_view path);

// The path of `relative` under `target_root`, after ValidateRelativePath.
// "." maps to target_root itself. Purely lexical: the result is inside
// target_root as long as no directory on the way is a symlink.
Result<std::filesystem::path> ConfinedPath(const std::filesystem::path& target_root,
                                           std::string_view relative);

// A printable, bounded rendering of an untrusted path for messages and logs:
// control bytes, '"', '\\' and bytes >= 0x7f are escaped as \xNN and the
// result is cut at about 200 bytes with "...". Always quoted.
std::string QuotePath(std::string_view path);

}  // namespace cairn
