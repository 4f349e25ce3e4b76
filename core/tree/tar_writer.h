// TarWriter: an EntrySink that writes a pax tar stream (POSIX.1-2001, as
// libarchive writes it) to a file descriptor -- restore to stdout.
//
// Paths are written relative, exactly as the entries hold them (the root
// is "."), so extracting the stream is as safe as its consumer; entries are
// validated as for TreeRestorer. Sparse files are written in GNU sparse 1.0
// form inside pax headers: only data regions take space in the stream.
// Nanosecond times, xattrs (LIBARCHIVE.xattr / SCHILY.xattr), owner names,
// device numbers and hard links are kept.
//
// Thread-safety: one thread at a time. The fd is not owned and not closed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/tree/archive_entry_codec.h"
#include "core/tree/entry_sink.h"

namespace cairn {

class TarWriter final : public EntrySink {
 public:
  static Result<std::unique_ptr<TarWriter>> Create(int fd);
  ~TarWriter() override;

  Status Begin(const TreeEntry& entry) override;
  Status Write(std::uint64_t content_offset, ByteSpan data) override;
  Status End() override;
  // Writes the end-of-archive blocks; the stream is complete after this.
  Status Finish() override;
  const std::vector<Status>& warnings() const override { return warnings_; }

 private:
  explicit TarWriter(ArchiveHandle tar);
  Status WriteLogical(const std::uint8_t* data, std::uint64_t size);  // at file_pos_
  Status WriteZerosTo(std::uint64_t file_offset);
  Status Error(std::string_view what);

  ArchiveHandle tar_;
  ArchiveEntryHandle entry_;
  ContentCursor cursor_;
  std::vector<ContentCursor::Piece> pieces_;
  std::string current_;
  std::uint64_t file_pos_ = 0;  // logical file offset the writer is at
  bool in_entry_ = false;
  bool is_file_ = false;
  bool failed_ = false;  // a failed tar stream cannot be continued
  bool finished_ = false;
  std::vector<Status> warnings_;
};

}  // namespace cairn
