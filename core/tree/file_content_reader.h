// FileContentReader: reads the content stream of one regular file found by
// TreeWalker -- the concatenation of its data regions (the whole file when it
// is not sparse) -- in caller-sized blocks, for chunking.
//
// The file is opened O_RDONLY|O_NOFOLLOW|O_CLOEXEC, with O_NOATIME where the
// kernel permits it, and advised POSIX_FADV_SEQUENTIAL. Reads follow the
// metadata taken by the walker, so exactly entry.ContentLength() bytes come
// out even if the file changes meanwhile: bytes missing because the file
// shrank read as zeros, growth is ignored. CheckUnchanged() then says whether
// that happened; its failure is a warning for the backup (as GNU tar's "file
// changed as we read it"), not a reason to fail it.
//
// Thread-safety: one thread at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/status.h"
#include "core/tree/tree_entry.h"

namespace cairn {

class FileContentReader {
 public:
  // Opens `path` to read the content described by `entry` (a kFile entry as
  // TreeWalker made it: size, sparse map, mtime and ctime are used).
  // A path that is no longer a regular file is InvalidArgument.
  static Result<std::unique_ptr<FileContentReader>> Open(const std::filesystem::path& path,
                                                         const TreeEntry& entry);
  ~FileContentReader();
  FileContentReader(const FileContentReader&) = delete;
  FileContentReader& operator=(const FileContentReader&) = delete;

  // Fills `buf` as far as the content goes; returns the count, 0 at the end.
  Result<std::size_t> Read(MutableByteSpan buf);

  // Ok when the file still has the entry's size, mtime and ctime and did not
  // end early; otherwise IoError "... changed while being read ...".
  Status CheckUnchanged() const;

  std::uint64_t content_length() const { return content_length_; }

 private:
  FileContentReader(std::filesystem::path path, int fd, const TreeEntry& entry);

  std::filesystem::path path_;
  int fd_;
  std::uint64_t size_;
  std::int64_t mtime_ns_;
  std::int64_t ctime_ns_;
  std::vector<DataRegion> regions_;  // non-empty regions to read, in order
  std::size_t region_ = 0;           // current region
  std::uint64_t in_region_ = 0;      // bytes of it already read
  std::uint64_t content_length_ = 0;
  bool ended_early_ = false;
};

}  // namespace cairn
