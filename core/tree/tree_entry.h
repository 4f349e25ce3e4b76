// TreeEntry: one filesystem object of a snapshot (a file, directory, symlink,
// hard link, device node or FIFO), its metadata and, for regular files, where
// its content lives (slices of chunks).
//
// Entries arrive from stores and agents, so everything that decodes one
// validates it: bounded strings and counts, known enum values, safe paths,
// sizes that agree with each other. The JSON form is documented in
// docs/formats.md.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/chunk_id.h"
#include "core/base/status.h"

namespace cairn {

enum class EntryType { kFile, kDirectory, kSymlink, kHardlink, kCharDevice, kBlockDevice, kFifo };

// "file", "directory", ... for messages.
std::string_view EntryTypeName(EntryType type);

// A byte range of one chunk's plaintext.
struct ChunkSlice {
  ChunkId id;
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
  friend bool operator==(const ChunkSlice&, const ChunkSlice&) = default;
};

// A non-hole region [offset, offset + length) of a sparse file.
struct DataRegion {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  friend bool operator==(const DataRegion&, const DataRegion&) = default;
};

// Bounds on untrusted entries (see ValidateEntryMetadata).
inline constexpr std::size_t kMaxXattrs = 1024;
inline constexpr std::size_t kMaxXattrValue = 64 * 1024;
inline constexpr std::size_t kMaxSlices = std::size_t{1} << 24;
inline constexpr std::size_t kMaxDataRegions = std::size_t{1} << 24;
inline constexpr std::size_t kMaxOwnerName = 255;  // uname, gname
inline constexpr std::size_t kMaxLinkTarget = 4096;

struct TreeEntry {
  // Relative, '/'-separated, no leading '/'; the root directory is ".".
  std::string path;
  EntryType type = EntryType::kFile;
  // Permission bits including suid/sgid/sticky (mode & 07777); no type bits.
  std::uint32_t mode = 0;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::string uname;  // empty when unknown
  std::string gname;
  std::int64_t mtime_ns = 0;  // since the epoch
  std::int64_t atime_ns = 0;
  std::int64_t ctime_ns = 0;  // informational: cannot be restored
  // Logical size of a regular file (holes included); 0 for every other type.
  std::uint64_t size = 0;
  // As seen at backup time; used to spot unchanged files and hard links.
  std::uint64_t inode = 0;
  std::uint64_t device = 0;
  std::uint64_t nlink = 0;
  // Symlink target (any text without NUL), or for kHardlink the relative path
  // of the first entry of the same inode. Empty for every other type.
  std::string link_target;
  std::uint32_t rdev_major = 0;  // device nodes only
  std::uint32_t rdev_minor = 0;
  // Extended attributes as the filesystem lists them ("user.x", "trusted.y"...).
  std::vector<std::pair<std::string, Bytes>> xattrs;
  // Data regions of a sparse file, sorted and disjoint. Empty means not
  // sparse: the content is [0, size). A file that is all hole has the single
  // region {size, 0}.
  std::vector<DataRegion> sparse;
  // The content bytes (the concatenation of the data regions), in order.
  std::vector<ChunkSlice> content;

  // How many content bytes this entry has: size for a plain file, the sum of
  // the data regions for a sparse one, 0 for anything but kFile.
  std::uint64_t ContentLength() const;
  // Sum of the slice lengths; equals ContentLength() in a complete entry.
  std::uint64_t SlicesLength() const;

  friend bool operator==(const TreeEntry&, const TreeEntry&) = default;
};

// Everything but the content slices: path and hard link target pass
// ValidateRelativePath, strings and counts are bounded, type-specific fields
// are empty/zero for other types, the sparse map is sorted, disjoint and
// inside [0, size]. What TreeWalker and TarSource produce passes this.
Status ValidateEntryMetadata(const TreeEntry& entry);
// ValidateEntryMetadata plus: at most kMaxSlices slices, none empty, and
// SlicesLength() == ContentLength(). What a snapshot must hold.
Status ValidateEntry(const TreeEntry& entry);

// JSON form (docs/formats.md). TreeEntryFromJson never throws; it
// returns InvalidArgument naming the entry and the field that was wrong.
nlohmann::json TreeEntryToJson(const TreeEntry& entry);
Result<TreeEntry> TreeEntryFromJson(const nlohmann::json& j);

// nlohmann hooks so TreeEntry works with j.get<TreeEntry>() and containers of
// entries. from_json validates (ValidateEntry) and throws
// nlohmann::json::other_error carrying the message of TreeEntryFromJson.
void to_json(nlohmann::json& j, const TreeEntry& entry);
void from_json(const nlohmann::json& j, TreeEntry& entry);

// Standard base64 (RFC 4648, with padding), used for xattr values.
// Appends the entry's JSON object to `out` without building a DOM (the
// manifest of a large tree holds hundreds of thousands of entries). Same
// document as TreeEntryToJson. Strings that are not valid UTF-8 (file names
// are raw bytes) are written base64-encoded under the key with "64" appended
// ("p64" for "p"), which the reader accepts in place of the plain key.
// TreeEntryToJson is this text parsed back, for tests and small callers.
void AppendTreeEntryJson(std::string& out, const TreeEntry& entry);
// A JSON string literal (quotes included) of valid UTF-8 `s`.
void AppendJsonString(std::string& out, std::string_view s);
bool IsValidUtf8(std::string_view s);

std::string Base64Encode(ByteSpan data);
// nullopt on a character outside the alphabet or bad padding.
std::optional<Bytes> Base64Decode(std::string_view text);

}  // namespace cairn
