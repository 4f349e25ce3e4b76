// Key files: the appliance's key-encryption key (KeyFileKey), kept in a small
// text file outside the store (by default on its own partition), which wraps
// the store's master key in a "keyfile" key slot (key_slot.h).
//
// Format (docs/formats.md, "Key file"), exactly two lines:
//   cairn-key-file v1\n
//   <64 lower-case hex digits>\n
//
// Thread-safety: free functions; safe from any thread (the FileSystem is).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/base/file_system.h"
#include "core/base/status.h"
#include "core/crypto/secret_key.h"

namespace cairn {

inline constexpr char kKeyFileMagicLine[] = "cairn-key-file v1";
// Anything larger is not a key file; reading is bounded by it.
inline constexpr std::uint64_t kMaxKeyFileSize = 4096;

// Writes a new random key to `path` durably (WriteFileAtomically); load it
// back with LoadKeyFile. Refuses with AlreadyExists when `path` exists:
// overwriting a key file can make a store unopenable. (The check and the
// rename are not one atomic step; two concurrent creators of one path are a
// caller bug.) The file is made owner-only (0600) right after the rename.
// The FileSystem seam has no mode argument yet, so the temporary file is
// created with the seam's default mode: keep key files in a directory only
// the appliance user can read.
[[nodiscard]] Status CreateKeyFile(FileSystem& fs, const fs::path& path);

// Reads and validates a key file. NotFound when missing; Corruption naming
// the problem when it is not a well-formed v1 key file. Trailing blank space
// and CRLF line ends (a file edited on Windows) are accepted.
Result<KeyFileKey> LoadKeyFile(FileSystem& fs, const fs::path& path);

// The text of a key file holding `key` (what CreateKeyFile writes).
std::string FormatKeyFile(const KeyFileKey& key);
// Parses key file text; `origin` names the file in error messages.
Result<KeyFileKey> ParseKeyFile(std::string_view text, std::string_view origin);

}  // namespace cairn
