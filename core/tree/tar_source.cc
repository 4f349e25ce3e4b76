#include "core/tree/tar_source.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "core/tree/path_guard.h"

namespace cairn {

namespace {

// "./a/b/" -> "a/b"; "./" and "." -> "."; anything else unchanged (and then
// judged by ValidateRelativePath, so "/x" and "../x" are refused, not fixed).
std::string Normalise(std::string_view raw) {
  std::string_view s = raw;
  while (s.size() >= 2 && s[0] == '.' && s[1] == '/') s.remove_prefix(2);
  while (s.size() > 1 && s.back() == '/') s.remove_suffix(1);
  if (s.empty() && !raw.empty()) return ".";
  return std::string(s);
}

}  // namespace

Result<std::unique_ptr<TarSource>> TarSource::Open(int fd, TarSourceOptions options) {
  ArchiveHandle tar(archive_read_new());
  if (!tar) return Status::IoError("archive_read_new: out of memory");
  struct archive* a = tar.get();
  // Built-in decompressors only. The return values are ignored on purpose:
  // ARCHIVE_WARN means "will use an external program", which is all we lose.
  (void)archive_read_support_filter_gzip(a);
  (void)archive_read_support_filter_bzip2(a);
  (void)archive_read_support_filter_xz(a);
  (void)archive_read_support_filter_lzma(a);
  (void)archive_read_support_filter_lzip(a);
  (void)archive_read_support_filter_zstd(a);
  (void)archive_read_support_filter_lz4(a);
  (void)archive_read_support_filter_compress(a);
  if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
      archive_read_open_fd(a, fd, 64 * 1024) != ARCHIVE_OK) {
    return Status::InvalidArgument("open tar stream: " + ArchiveError(a));
  }
  return std::unique_ptr<TarSource>(new TarSource(std::move(tar), options));
}

TarSource::TarSource(ArchiveHandle tar, TarSourceOptions options)
    : tar_(std::move(tar)), options_(options) {}

TarSource::~TarSource() = default;

Status TarSource::EntryError(std::string_view what) const {
  return Status::InvalidArgument("tar entry " + std::to_string(entries_) + " " +
                                 QuotePath(current_) + ": " + std::string(what));
}

Result<std::optional<TreeEntry>> TarSource::Next() {
  while (true) {
    if (fatal_)
      return Status::InvalidArgument("tar stream: cannot continue after an earlier error");
    if (at_end_) return std::optional<TreeEntry>();
    data_done_ = true;
    block_left_ = 0;
    regions_.clear();
    sparse_.clear();
    if (entries_ >= options_.max_entries) {
      fatal_ = true;
      return Status::InvalidArgument("tar stream has more than " +
                                     std::to_string(options_.max_entries) + " entries");
    }
    struct archive_entry* ae = nullptr;
    const int r = archive_read_next_header(tar_.get(), &ae);
    if (r == ARCHIVE_EOF) {
      at_end_ = true;
      return std::optional<TreeEntry>();
    }
    ++entries_;
    current_.clear();
    if (r == ARCHIVE_FATAL || r == ARCHIVE_RETRY) {
      fatal_ = true;
      return Status::InvalidArgument("tar stream, after entry " + std::to_string(entries_ - 1) +
                                     ": " + ArchiveError(tar_.get()));
    }
    if (r == ARCHIVE_FAILED) return EntryError(ArchiveError(tar_.get()));
    if (r == ARCHIVE_WARN) {
      warnings_.push_back(Status::InvalidArgument("tar entry " + std::to_string(entries_) + ": " +
                                                  ArchiveError(tar_.get())));
    }
    // The UTF-8 form first: a pax "path" is UTF-8 and should come out as
    // those bytes whatever the process locale. Names stored as binary (or
    // in a ustar header) have no UTF-8 form under the "C" locale and come
    // out raw.
    const char* raw = archive_entry_pathname_utf8(ae);
    if (raw == nullptr) raw = archive_entry_pathname(ae);
    if (raw == nullptr) return EntryError("has no path");
    current_ = raw;
    const mode_t type = archive_entry_filetype(ae);
    if (archive_entry_hardlink(ae) == nullptr && type == AE_IFSOCK) {
      warnings_.push_back(EntryError("skipped: sockets cannot be backed up"));
      continue;
    }
    Result<TreeEntry> entry = Convert(ae);
    if (!entry.ok()) return entry.error();
    current_ = entry->path;
    size_ = entry->size;
    data_done_ = entry->type != EntryType::kFile;
    return std::optional<TreeEntry>(std::move(entry).value());
  }
}

Result<TreeEntry> TarSource::Convert(struct archive_entry* ae) {
  TreeEntry e;
  e.path = Normalise(current_);
  Status s = ValidateRelativePath(e.path);
  if (!s.ok()) return EntryError(s.message());

  const char* link = archive_entry_hardlink_utf8(ae);
  if (link == nullptr) link = archive_entry_hardlink(ae);
  if (link != nullptr) {
    e.type = EntryType::kHardlink;
    e.link_target = Normalise(link);
    s = ValidateRelativePath(e.link_target);
    if (!s.ok()) return EntryError("hard link target " + s.message());
  } else {
    switch (archive_entry_filetype(ae)) {
      case AE_IFREG:
        e.type = EntryType::kFile;
        break;
      case AE_IFDIR:
        e.type = EntryType::kDirectory;
        break;
      case AE_IFLNK: {
        e.type = EntryType::kSymlink;
        const char* target = archive_entry_symlink_utf8(ae);
        if (target == nullptr) target = archive_entry_symlink(ae);
        if (target == nullptr) return EntryError("symlink without a target");
        e.link_target = target;
        break;
      }
      case AE_IFCHR:
        e.type = EntryType::kCharDevice;
        break;
      case AE_IFBLK:
        e.type = EntryType::kBlockDevice;
        break;
      case AE_IFIFO:
        e.type = EntryType::kFifo;
        break;
      default:
        return EntryError("unknown file type " + std::to_string(archive_entry_filetype(ae)));
    }
  }
  e.mode = archive_entry_perm(ae) & 07777;
  const la_int64_t uid = archive_entry_uid(ae);
  const la_int64_t gid = archive_entry_gid(ae);
  constexpr la_int64_t kMaxId = std::numeric_limits<std::uint32_t>::max();
  if (uid < 0 || uid > kMaxId || gid < 0 || gid > kMaxId)
    return EntryError("uid or gid out of range");
  e.uid = static_cast<std::uint32_t>(uid);
  e.gid = static_cast<std::uint32_t>(gid);
  for (auto [name, out] : {std::pair{archive_entry_uname(ae), &e.uname},
                           std::pair{archive_entry_gname(ae), &e.gname}}) {
    if (name == nullptr) continue;
    if (std::strlen(name) > kMaxOwnerName) {
      warnings_.push_back(EntryError("owner name too long; numeric id kept"));
      continue;
    }
    *out = name;
  }
  e.mtime_ns = JoinNanos(archive_entry_mtime(ae), archive_entry_mtime_nsec(ae));
  if (archive_entry_atime_is_set(ae)) {
    e.atime_ns = JoinNanos(archive_entry_atime(ae), archive_entry_atime_nsec(ae));
  }
  if (archive_entry_ctime_is_set(ae)) {
    e.ctime_ns = JoinNanos(archive_entry_ctime(ae), archive_entry_ctime_nsec(ae));
  }
  if (e.type == EntryType::kFile && archive_entry_size_is_set(ae)) {
    const la_int64_t size = archive_entry_size(ae);
    if (size < 0) return EntryError("negative size");
    e.size = static_cast<std::uint64_t>(size);
  }
  if (archive_entry_ino_is_set(ae)) e.inode = static_cast<std::uint64_t>(archive_entry_ino64(ae));
  if (archive_entry_dev_is_set(ae)) e.device = archive_entry_dev(ae);
  e.nlink = archive_entry_nlink(ae);
  if (e.type == EntryType::kCharDevice || e.type == EntryType::kBlockDevice) {
    e.rdev_major = static_cast<std::uint32_t>(archive_entry_rdevmajor(ae));
    e.rdev_minor = static_cast<std::uint32_t>(archive_entry_rdevminor(ae));
  }
  const int xattr_count = archive_entry_xattr_reset(ae);
  if (xattr_count > static_cast<int>(kMaxXattrs)) {
    return EntryError(std::to_string(xattr_count) + " extended attributes; the limit is " +
                      std::to_string(kMaxXattrs));
  }
  const char* name;
  const void* value;
  std::size_t size;
  while (archive_entry_xattr_next(ae, &name, &value, &size) == ARCHIVE_OK) {
    if (name == nullptr || std::strlen(name) == 0 || std::strlen(name) > kMaxNameLength ||
        size > kMaxXattrValue) {
      warnings_.push_back(
          EntryError("extended attribute with a bad name or an oversized value skipped"));
      continue;
    }
    const auto* bytes = static_cast<const std::uint8_t*>(value);
    e.xattrs.emplace_back(name, Bytes(bytes, bytes + size));
  }
  s = ValidateEntryMetadata(e);
  if (!s.ok()) return EntryError(s.message());
  return e;
}

void TarSource::FinishData() {
  data_done_ = true;
  block_left_ = 0;
  // Holes are what the data blocks did not cover; one region covering all
  // of [0, size) is a plain file.
  if (regions_.size() == 1 && regions_[0].offset == 0 && regions_[0].length == size_) {
    sparse_.clear();
  } else if (regions_.empty()) {
    if (size_ > 0) sparse_ = {{size_, 0}};
  } else {
    sparse_ = regions_;
  }
}

Result<std::size_t> TarSource::ReadData(MutableByteSpan buf) {
  std::size_t filled = 0;
  while (filled < buf.size()) {
    if (block_left_ == 0) {
      if (data_done_) break;
      const void* p = nullptr;
      std::size_t n = 0;
      la_int64_t offset = 0;
      const int r = archive_read_data_block(tar_.get(), &p, &n, &offset);
      if (r == ARCHIVE_EOF) {
        FinishData();
        break;
      }
      if (r == ARCHIVE_FATAL) fatal_ = true;
      if (r < ARCHIVE_WARN) {
        data_done_ = true;
        return Status::InvalidArgument("tar entry " + std::to_string(entries_) + " " +
                                       QuotePath(current_) + ": data: " + ArchiveError(tar_.get()));
      }
      if (r == ARCHIVE_WARN) warnings_.push_back(EntryError(ArchiveError(tar_.get())));
      if (n == 0) continue;
      const std::uint64_t end =
          regions_.empty() ? 0 : regions_.back().offset + regions_.back().length;
      if (offset < 0 || static_cast<std::uint64_t>(offset) < end ||
          static_cast<std::uint64_t>(offset) > size_ ||
          n > size_ - static_cast<std::uint64_t>(offset)) {
        fatal_ = true;
        data_done_ = true;
        return Status::Corruption("tar entry " + std::to_string(entries_) + " " +
                                  QuotePath(current_) + ": data block at " +
                                  std::to_string(offset) + " is out of order or beyond the size");
      }
      if (!regions_.empty() && static_cast<std::uint64_t>(offset) == end) {
        regions_.back().length += n;
      } else {
        if (regions_.size() == kMaxDataRegions) {
          fatal_ = true;
          return EntryError("more than " + std::to_string(kMaxDataRegions) + " sparse regions");
        }
        regions_.push_back({static_cast<std::uint64_t>(offset), n});
      }
      block_ = static_cast<const std::uint8_t*>(p);
      block_left_ = n;
    }
    const std::size_t n = std::min(block_left_, buf.size() - filled);
    std::memcpy(buf.data() + filled, block_, n);
    block_ += n;
    block_left_ -= n;
    filled += n;
  }
  return filled;
}

}  // namespace cairn
