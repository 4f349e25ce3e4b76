#include "core/tree/tree_restorer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <thread>
#include <utility>

#include "core/tree/path_guard.h"

namespace cairn {

Result<std::unique_ptr<TreeRestorer>> TreeRestorer::Create(const std::filesystem::path& target,
                                                           RestoreOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(target, ec);
  if (ec) return Status::FromErrno(ec.value(), "create restore target " + target.string());
  std::filesystem::path canonical = std::filesystem::canonical(target, ec);
  if (ec) return Status::FromErrno(ec.value(), "resolve restore target " + target.string());
  if (!std::filesystem::is_directory(canonical, ec)) {
    return Status::InvalidArgument("restore target " + canonical.string() + " is not a directory");
  }

  ArchiveHandle disk(archive_write_disk_new());
  if (!disk) return Status::IoError("archive_write_disk_new: out of memory");
  // No ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS: every path we hand to
  // libarchive is absolute on purpose (built from the canonical target), so
  // nothing depends on the process cwd, which all threads share. The
  // relative entry paths were checked by ValidateRelativePath before that.
  // No ARCHIVE_EXTRACT_UNLINK: with it libarchive would remove a symlink in
  // the middle of a path and carry on instead of refusing the entry.
  int flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_ACL |
              ARCHIVE_EXTRACT_FFLAGS | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
              ARCHIVE_EXTRACT_SECURE_NODOTDOT;
  if (options.restore_xattrs) flags |= ARCHIVE_EXTRACT_XATTR;
  if (options.restore_owner && ::geteuid() == 0) flags |= ARCHIVE_EXTRACT_OWNER;
  if (archive_write_disk_set_options(disk.get(), flags) != ARCHIVE_OK) {
    return Status::IoError("archive_write_disk_set_options: " + ArchiveError(disk.get()));
  }
  if (!options.numeric_owner && archive_write_disk_set_standard_lookup(disk.get()) != ARCHIVE_OK) {
    return Status::IoError("archive_write_disk_set_standard_lookup: " + ArchiveError(disk.get()));
  }
  CAIRN_ASSIGN_OR_RETURN(auto dirs, ConfinedDirectories::Open(canonical));
  std::unique_ptr<TreeRestorer> restorer(
      new TreeRestorer(std::move(canonical), std::move(disk), options));
  restorer->dirs_ = std::move(dirs);
  TreeRestorer* self = restorer.get();
  int threads = std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
  restorer->writers_ = std::make_unique<FileWriterPool>(
      threads, [self](int fd, const TreeEntry& meta) { self->ApplyMetadata(fd, meta, meta.path); });
  return restorer;
}

TreeRestorer::TreeRestorer(std::filesystem::path target, ArchiveHandle disk, RestoreOptions options)
    : target_(std::move(target)),
      disk_(std::move(disk)),
      options_(options),
      entry_(archive_entry_new()) {}

TreeRestorer::~TreeRestorer() = default;  // archive_free closes (and fixes up) if needed

Status TreeRestorer::BeginFile(const TreeEntry& entry) {
  auto [parent, name] = SplitParent(entry.path);
  auto dir = dirs_->Directory(parent);
  if (!dir.ok()) return dir.error().WithContext("restore " + QuotePath(entry.path));
  CAIRN_RETURN_IF_ERROR(writers_->Create(*dir, std::string(name), entry));
  file_path_ = true;
  in_entry_ = true;
  return Status::Ok();
}

Status TreeRestorer::EndFile() {
  file_path_ = false;
  // Writes on this path are queued, never failed here: a write error comes
  // back from the pool (TakeFailedEntries); only short content is known now.
  if (cursor_.position() == cursor_.length()) {
    writers_->Close(true, {});
    return Status::Ok();  // a write error, if any, is reported by TakeFailedEntries
  }
  // Short content is known here: wait for the writer to remove the file and
  // report it now, as the sink contract says.
  writers_->Close(false, "only " + std::to_string(cursor_.position()) + " of " +
                             std::to_string(cursor_.length()) + " content bytes could be written");
  writers_->Drain();
  Status result = Status::IoError("restore " + QuotePath(current_) + ": incomplete");
  for (auto& [path, status] : writers_->TakeFailures()) {
    if (path == current_) {
      result = std::move(status);
    } else {
      failed_entries_.emplace_back(std::move(path), std::move(status));
    }
  }
  return result;
}

std::vector<std::pair<std::string, Status>> TreeRestorer::TakeFailedEntries() {
  writers_->Drain();
  for (auto& f : writers_->TakeFailures()) failed_entries_.push_back(std::move(f));
  return std::exchange(failed_entries_, {});
}

Result<std::string> TreeRestorer::AbsolutePath(std::string_view relative) const {
  CAIRN_ASSIGN_OR_RETURN(std::filesystem::path abs, ConfinedPath(target_, relative));
  std::string s = abs.string();
  if (s.size() >= PATH_MAX) {
    return Status::InvalidArgument("restore " + QuotePath(relative) + ": the path under " +
                                   target_.string() + " is " + std::to_string(s.size()) +
                                   " bytes; restores are limited to PATH_MAX (" +
                                   std::to_string(PATH_MAX) + ") bytes");
  }
  return s;
}

Status TreeRestorer::Fail(std::string_view what) {
  struct archive* a = disk_.get();
  const int err = archive_errno(a);
  std::string msg =
      "restore " + QuotePath(current_) + ": " + std::string(what) + ": " + ArchiveError(a);
  if (fatal_) return Status::IoError(std::move(msg));
  // libarchive's own refusals (symlink in the path, "..") carry errno 0.
  if (err == 0) return Status::PermissionDenied(std::move(msg));
  return Status::FromErrno(err, msg);
}

Status TreeRestorer::Begin(const TreeEntry& entry) {
  if (finished_ || fatal_)
    return Status::InvalidArgument("restore: Begin after Finish or a fatal error");
  if (in_entry_) {
    return Status::InvalidArgument("restore: Begin(" + QuotePath(entry.path) + ") while " +
                                   QuotePath(current_) + " is not ended");
  }
  CAIRN_RETURN_IF_ERROR(ValidateEntryMetadata(entry));
  CAIRN_ASSIGN_OR_RETURN(std::string path, AbsolutePath(entry.path));
  std::string link;
  if (entry.type == EntryType::kHardlink) {
    CAIRN_ASSIGN_OR_RETURN(link, AbsolutePath(entry.link_target));
  }
  current_ = entry.path;
  cursor_.Reset(entry);
  entry_failed_ = false;
  if (entry.path == ".") {
    // libarchive would leave the existing target directory's metadata alone.
    if (entry.type != EntryType::kDirectory) {
      return Status::InvalidArgument("restore \".\": the root must be a directory, not a " +
                                     std::string(EntryTypeName(entry.type)));
    }
    root_entry_ = entry;
    in_entry_ = in_root_ = true;
    return Status::Ok();
  }
  if (entry.type == EntryType::kFile && options_.numeric_owner) return BeginFile(entry);
  // A hard link needs its target file to exist: let queued files land first.
  if (entry.type == EntryType::kHardlink) writers_->Drain();
  archive_entry_clear(entry_.get());
  FillArchiveEntry(entry, path, link, {.sparse_map = false, .xattrs = options_.restore_xattrs},
                   entry_.get());
  const int r = archive_write_header(disk_.get(), entry_.get());
  if (r == ARCHIVE_FATAL) fatal_ = true;
  if (r < ARCHIVE_WARN) return Fail("refused");
  if (r == ARCHIVE_WARN) {
    warnings_.push_back(
        Status::IoError("restore " + QuotePath(current_) + ": " + ArchiveError(disk_.get())));
  }
  in_entry_ = true;
  return Status::Ok();
}

Status TreeRestorer::Write(std::uint64_t content_offset, ByteSpan data) {
  return WriteImpl(content_offset, data, nullptr);
}

Status TreeRestorer::WriteShared(std::uint64_t content_offset, ByteSpan data,
                                 std::shared_ptr<const Bytes> owner) {
  return WriteImpl(content_offset, data, owner);
}

Status TreeRestorer::WriteImpl(std::uint64_t content_offset, ByteSpan data,
                               const std::shared_ptr<const Bytes>& owner) {
  if (!in_entry_) return Status::InvalidArgument("restore: Write without a successful Begin");
  if (entry_failed_)
    return Status::IoError("restore " + QuotePath(current_) + ": an earlier write failed");
  pieces_.clear();
  Status s = cursor_.Advance(content_offset, data, pieces_);
  if (!s.ok()) return s.WithContext("restore " + QuotePath(current_));
  if (file_path_) {
    // Data regions at their offsets: the gaps stay holes.
    for (const ContentCursor::Piece& p : pieces_) writers_->Write(p.file_offset, p.data, owner);
    return Status::Ok();
  }
  for (const ContentCursor::Piece& p : pieces_) {
    // With an offset, archive_write_disk seeks: the gaps stay holes.
    const la_ssize_t r = archive_write_data_block(disk_.get(), p.data.data(), p.data.size(),
                                                  static_cast<la_int64_t>(p.file_offset));
    if (r == ARCHIVE_FATAL) fatal_ = true;
    if (r < ARCHIVE_WARN) {
      entry_failed_ = true;
      return Fail("write");
    }
    if (r == ARCHIVE_WARN) {
      warnings_.push_back(
          Status::IoError("restore " + QuotePath(current_) + ": " + ArchiveError(disk_.get())));
    }
  }
  return Status::Ok();
}

Status TreeRestorer::End() {
  if (!in_entry_) return Status::InvalidArgument("restore: End without a successful Begin");
  in_entry_ = false;
  if (in_root_) {
    in_root_ = false;
    return Status::Ok();
  }
  if (file_path_) return EndFile();
  // Also extends a file whose tail is a hole to its full size.
  const int r = archive_write_finish_entry(disk_.get());
  if (r == ARCHIVE_FATAL) fatal_ = true;
  if (r < ARCHIVE_WARN) return Fail("finish");
  if (r == ARCHIVE_WARN) {
    warnings_.push_back(
        Status::IoError("restore " + QuotePath(current_) + ": " + ArchiveError(disk_.get())));
  }
  if (entry_failed_ || cursor_.position() != cursor_.length()) {
    // A file missing part of its content must not be mistaken for the real
    // one (a database with a run of zeros is worse than no file): remove it.
    std::string removed = " (the partial file was removed)";
    auto path = AbsolutePath(current_);
    if (!path.ok() || ::unlink(path->c_str()) != 0) removed = " (the partial file could not be removed)";
    // A failed write is an I/O problem; too few bytes from the caller is its error.
    return Status(entry_failed_ ? Status::Code::kIoError : Status::Code::kInvalidArgument,
                  "restore " + QuotePath(current_) + ": only " +
                           std::to_string(cursor_.position()) + " of " +
                           std::to_string(cursor_.length()) + " content bytes could be written" +
                           removed);
  }
  return Status::Ok();
}

Status TreeRestorer::Finish() {
  if (finished_) return Status::InvalidArgument("restore: Finish called twice");
  Status s;
  if (in_entry_) s = End().WithContext("restore: Finish with an entry not ended");
  finished_ = true;
  current_ = ".";
  writers_->Drain();
  // Applies the deferred directory modes and times.
  const int r = archive_write_close(disk_.get());
  if (r == ARCHIVE_WARN) {
    warnings_.push_back(Status::IoError("restore: " + ArchiveError(disk_.get())));
  } else if (r != ARCHIVE_OK && s.ok()) {
    s = Status::IoError("restore " + target_.string() + ": " + ArchiveError(disk_.get()));
  }
  if (root_entry_) ApplyRootMetadata(*root_entry_);
  return s;
}

void TreeRestorer::ApplyRootMetadata(const TreeEntry& root) {
  const int fd = ::open(target_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    warnings_.push_back(Status::FromErrno(errno, "restore \".\" onto " + target_.string() + ": open"));
    return;
  }
  ApplyMetadata(fd, root, "\".\" onto " + target_.string());
  ::close(fd);
}

void TreeRestorer::ApplyMetadata(int fd, const TreeEntry& entry, std::string_view label) {
  auto warn = [&](std::string_view what) {
    Status w = Status::FromErrno(errno, "restore " + std::string(label) + ": " + std::string(what));
    std::lock_guard lock(warnings_mu_);
    warnings_.push_back(std::move(w));
  };
  if (options_.restore_owner && ::geteuid() == 0) {
    // Through libarchive's lookup so numeric_owner=false maps names as for
    // every other entry.
    // Numeric ids need no lookup (and writer threads must not touch disk_).
    const la_int64_t uid =
        options_.numeric_owner ? entry.uid
                               : archive_write_disk_uid(
                                     disk_.get(), entry.uname.empty() ? nullptr : entry.uname.c_str(),
                                     entry.uid);
    const la_int64_t gid =
        options_.numeric_owner ? entry.gid
                               : archive_write_disk_gid(
                                     disk_.get(), entry.gname.empty() ? nullptr : entry.gname.c_str(),
                                     entry.gid);
    if (::fchown(fd, static_cast<uid_t>(uid), static_cast<gid_t>(gid)) != 0) warn("chown");
  }
  if (::fchmod(fd, entry.mode & 07777) != 0) warn("chmod");  // after chown, which clears suid
  if (options_.restore_xattrs) {
    for (const auto& [name, value] : entry.xattrs) {
      if (::fsetxattr(fd, name.c_str(), value.data(), value.size(), 0) != 0)
        warn("set xattr " + name);
    }
  }
  std::int64_t sec;
  long nsec;
  struct timespec times[2];
  SplitNanos(entry.atime_ns, sec, nsec);
  times[0] = {static_cast<time_t>(sec), nsec};
  SplitNanos(entry.mtime_ns, sec, nsec);
  times[1] = {static_cast<time_t>(sec), nsec};
  if (::futimens(fd, times) != 0) warn("set times");
}

}  // namespace cairn
