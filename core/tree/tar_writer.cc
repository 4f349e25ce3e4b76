#include "core/tree/tar_writer.h"

#include <algorithm>

#include "core/tree/path_guard.h"

namespace cairn {

namespace {
// The pax writer takes the logical file (holes included) and drops the hole
// bytes itself; holes are fed from this block of zeros.
constexpr std::size_t kZeroBlock = 1 << 20;
const std::uint8_t kZeros[kZeroBlock] = {};
}  // namespace

Result<std::unique_ptr<TarWriter>> TarWriter::Create(int fd) {
  ArchiveHandle tar(archive_write_new());
  if (!tar) return Status::IoError("archive_write_new: out of memory");
  // hdrcharset=BINARY: names are written as the raw bytes the filesystem
  // gave us. Without it, libarchive converts them from the process locale to
  // UTF-8, which fails for any non-ASCII name under the "C" locale.
  if (archive_write_set_format_pax(tar.get()) != ARCHIVE_OK ||
      archive_write_set_format_option(tar.get(), "pax", "hdrcharset", "BINARY") != ARCHIVE_OK ||
      archive_write_add_filter_none(tar.get()) != ARCHIVE_OK ||
      archive_write_open_fd(tar.get(), fd) != ARCHIVE_OK) {
    return Status::IoError("open tar writer: " + ArchiveError(tar.get()));
  }
  return std::unique_ptr<TarWriter>(new TarWriter(std::move(tar)));
}

TarWriter::TarWriter(ArchiveHandle tar) : tar_(std::move(tar)), entry_(archive_entry_new()) {}

TarWriter::~TarWriter() = default;

Status TarWriter::Error(std::string_view what) {
  failed_ = true;
  return Status::IoError("tar " + QuotePath(current_) + ": " + std::string(what) + ": " +
                         ArchiveError(tar_.get()));
}

Status TarWriter::Begin(const TreeEntry& entry) {
  if (failed_ || finished_) return Status::InvalidArgument("tar: Begin after Finish or a failure");
  if (in_entry_) {
    return Status::InvalidArgument("tar: Begin(" + QuotePath(entry.path) + ") while " +
                                   QuotePath(current_) + " is not ended");
  }
  CAIRN_RETURN_IF_ERROR(ValidateEntryMetadata(entry));
  current_ = entry.path;
  archive_entry_clear(entry_.get());
  FillArchiveEntry(entry, entry.path, entry.link_target, {.sparse_map = true, .xattrs = true},
                   entry_.get());
  const int r = archive_write_header(tar_.get(), entry_.get());
  if (r == ARCHIVE_WARN) {
    warnings_.push_back(
        Status::IoError("tar " + QuotePath(current_) + ": " + ArchiveError(tar_.get())));
  } else if (r != ARCHIVE_OK) {
    return Error("header");
  }
  cursor_.Reset(entry);
  file_pos_ = 0;
  is_file_ = entry.type == EntryType::kFile;
  in_entry_ = true;
  return Status::Ok();
}

Status TarWriter::WriteLogical(const std::uint8_t* data, std::uint64_t size) {
  while (size > 0) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(size, kZeroBlock));
    const la_ssize_t w = archive_write_data(tar_.get(), data, n);
    if (w < 0) return Error("write");
    if (static_cast<std::size_t>(w) != n) return Error("short write");
    if (data != kZeros) data += n;
    size -= n;
    file_pos_ += n;
  }
  return Status::Ok();
}

Status TarWriter::WriteZerosTo(std::uint64_t file_offset) {
  if (file_offset <= file_pos_) return Status::Ok();
  return WriteLogical(kZeros, file_offset - file_pos_);
}

Status TarWriter::Write(std::uint64_t content_offset, ByteSpan data) {
  if (!in_entry_) return Status::InvalidArgument("tar: Write without a successful Begin");
  if (failed_) return Status::IoError("tar: the stream already failed");
  pieces_.clear();
  Status s = cursor_.Advance(content_offset, data, pieces_);
  if (!s.ok()) return s.WithContext("tar " + QuotePath(current_));
  for (const ContentCursor::Piece& p : pieces_) {
    CAIRN_RETURN_IF_ERROR(WriteZerosTo(p.file_offset));
    CAIRN_RETURN_IF_ERROR(WriteLogical(p.data.data(), p.data.size()));
  }
  return Status::Ok();
}

Status TarWriter::End() {
  if (!in_entry_) return Status::InvalidArgument("tar: End without a successful Begin");
  in_entry_ = false;
  if (failed_) return Status::IoError("tar: the stream already failed");
  // A trailing hole (or, for a short entry, the missing rest) as zeros.
  if (is_file_) CAIRN_RETURN_IF_ERROR(WriteZerosTo(cursor_.file_size()));
  const int r = archive_write_finish_entry(tar_.get());
  if (r == ARCHIVE_WARN) {
    warnings_.push_back(
        Status::IoError("tar " + QuotePath(current_) + ": " + ArchiveError(tar_.get())));
  } else if (r != ARCHIVE_OK) {
    return Error("finish entry");
  }
  if (cursor_.position() != cursor_.length()) {
    return Status::InvalidArgument(
        "tar " + QuotePath(current_) + ": only " + std::to_string(cursor_.position()) + " of " +
        std::to_string(cursor_.length()) + " content bytes were written; the rest is zeros");
  }
  return Status::Ok();
}

Status TarWriter::Finish() {
  if (finished_) return Status::InvalidArgument("tar: Finish called twice");
  Status s;
  if (in_entry_) s = End().WithContext("tar: Finish with an entry not ended");
  finished_ = true;
  current_ = "";
  if (archive_write_close(tar_.get()) != ARCHIVE_OK && s.ok()) {
    s = Status::IoError("tar: close: " + ArchiveError(tar_.get()));
  }
  return s;
}

}  // namespace cairn
