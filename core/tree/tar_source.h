// TarSource: reads a tar stream (pax, ustar, GNU, v7 -- whatever libarchive's
// tar reader takes -- optionally gzip/bzip2/xz/lzma/lzip/zstd/lz4/compress
// compressed) from a file descriptor, for backing up a tar piped to stdin.
//
// Untrusted input. Every entry path (and hard link target) is normalised --
// leading "./" and trailing '/' removed, "./" alone is the root "." -- and
// must then pass ValidateRelativePath: "/etc/x", "../x" or "a/../../x" are
// refused, never rewritten. A refused entry is an InvalidArgument naming the
// entry (its number and path); Next() may be called again to go on with the
// following entry. At most `max_entries` entries are read. Over-long names
// are refused by the path rules; libarchive bounds GNU long-name records
// (1 MiB). Sockets are skipped with a warning. Only tar formats are enabled
// (not zip, cpio, iso...), and only compression filters built into
// libarchive's libraries.
//
// Content: ReadData() streams the current entry's content -- the
// concatenation of its data regions. For a sparse member the data regions
// are only known as the data goes by (GNU sparse 1.0 keeps its map in the
// data), so sparse() is complete once ReadData() returned 0; Next() returns
// the entry with `sparse` empty and the caller copies sparse() in after
// reading the data.
//
// Thread-safety: one thread at a time. The fd is not owned and not closed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/tree/archive_entry_codec.h"

namespace cairn {

struct TarSourceOptions {
  std::uint64_t max_entries = 10'000'000;
};

class TarSource {
 public:
  static Result<std::unique_ptr<TarSource>> Open(int fd, TarSourceOptions options = {});
  ~TarSource();
  TarSource(const TarSource&) = delete;
  TarSource& operator=(const TarSource&) = delete;

  // The next entry's metadata (content and sparse empty), or nullopt at the
  // end of the stream. The unread data of the previous entry is skipped.
  Result<std::optional<TreeEntry>> Next();
  // Fills `buf` with the current entry's next content bytes; 0 at its end.
  Result<std::size_t> ReadData(MutableByteSpan buf);
  // The current entry's sparse map in TreeEntry form (empty: not sparse);
  // complete after ReadData() returned 0.
  const std::vector<DataRegion>& sparse() const { return sparse_; }

  const std::vector<Status>& warnings() const { return warnings_; }
  std::uint64_t entries_read() const { return entries_; }

 private:
  TarSource(ArchiveHandle tar, TarSourceOptions options);
  Result<TreeEntry> Convert(struct archive_entry* ae);
  Status EntryError(std::string_view what) const;
  void FinishData();

  ArchiveHandle tar_;
  TarSourceOptions options_;
  std::uint64_t entries_ = 0;
  std::string current_;
  std::uint64_t size_ = 0;  // logical size of the current entry
  bool fatal_ = false;
  bool at_end_ = false;
  // Data of the current entry.
  bool data_done_ = true;
  const std::uint8_t* block_ = nullptr;
  std::size_t block_left_ = 0;
  std::vector<DataRegion> regions_;  // data regions seen so far, coalesced
  std::vector<DataRegion> sparse_;
  std::vector<Status> warnings_;
};

}  // namespace cairn
