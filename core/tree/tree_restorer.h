// TreeRestorer: writes snapshot entries into a target directory through
// libarchive's archive_write_disk, and never outside it.
//
// Safety rules (docs/formats.md, "Restore safety"):
//  - the target is canonicalised (realpath) once, at Create;
//  - every entry path and hard link target must pass ValidateRelativePath and
//    is turned into an absolute path under the canonical target;
//  - ARCHIVE_EXTRACT_SECURE_SYMLINKS refuses any entry whose path goes
//    through a symlink already on disk (a snapshot holding "evil -> /tmp/x"
//    then "evil/f" gets "evil/f" refused), and SECURE_NODOTDOT any "..";
//  - absolute path + target must stay under PATH_MAX, because for longer
//    paths libarchive chdir()s, which would move every thread's cwd.
// An entry refused for these reasons fails Begin() with PermissionDenied or
// InvalidArgument; nothing of it is written.
//
// Existing files in the target are overwritten (libarchive unlinks a
// non-directory in the way and recreates it). An existing directory is kept
// as it is, and libarchive 3.6 leaves its mode, owner and times alone too;
// the root entry "." is the exception: its metadata is applied to the target
// directory by Finish(). Directory modes and times are applied by Finish(),
// after their content, so read-only directories can be filled.
// Hard link targets must have been restored earlier in the same run.
//
// Caveats of libarchive 3.6 worth knowing: archive_write_header() on a disk
// writer sets the *process* umask to 0 while it creates the entry and puts
// it back afterwards (observed from another thread via /proc/self/status),
// so a file another thread creates in that window is not masked: code that
// runs beside a restore must create files with explicit, safe modes (0600,
// 0644), never 0666 relying on the umask. "system.*" xattrs (POSIX ACLs)
// are skipped by archive_write_disk on Linux.
//
// Thread-safety: one thread at a time per restorer. Several restorers may
// run in parallel on different targets (no cwd-relative paths are used).
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/tree/archive_entry_codec.h"
#include "core/tree/confined_directory.h"
#include "core/tree/entry_sink.h"
#include "core/tree/file_writer_pool.h"

namespace cairn {

struct RestoreOptions {
  // chown entries to their uid/gid. Takes effect only when running as root.
  bool restore_owner = true;
  // true: use the stored uid/gid as they are (right for container volumes);
  // false: map uname/gname through the local passwd/group files first, as tar does.
  bool numeric_owner = true;
  // Set extended attributes (not "system.*", see above).
  bool restore_xattrs = true;
};

class TreeRestorer final : public EntrySink {
 public:
  // `target` is created (with parents) when missing, then canonicalised.
  static Result<std::unique_ptr<TreeRestorer>> Create(const std::filesystem::path& target,
                                                      RestoreOptions options = {});
  ~TreeRestorer() override;

  Status Begin(const TreeEntry& entry) override;
  Status Write(std::uint64_t content_offset, ByteSpan data) override;
  Status WriteShared(std::uint64_t content_offset, ByteSpan data,
                     std::shared_ptr<const Bytes> owner) override;
  Status End() override;
  Status Finish() override;
  const std::vector<Status>& warnings() const override { return warnings_; }
  std::vector<std::pair<std::string, Status>> TakeFailedEntries() override;

  const std::filesystem::path& target() const { return target_; }

 private:
  TreeRestorer(std::filesystem::path target, ArchiveHandle disk, RestoreOptions options);
  Status Fail(std::string_view what);  // error for the current entry (or fatal)
  Result<std::string> AbsolutePath(std::string_view relative) const;
  // Mode, owner, xattrs and times of the "." entry onto the target itself.
  void ApplyRootMetadata(const TreeEntry& root);
  // Owner, mode (after chown, which clears suid), xattrs and times onto an
  // open descriptor; failures become warnings. Thread-safe (writer threads).
  void ApplyMetadata(int fd, const TreeEntry& entry, std::string_view label);

  // Regular files bypass archive_write_disk: libarchive 3.6's symlink check
  // opens every component of every path (measured: ~10 openat per file, most
  // of a restore's system time). Files are created with openat(O_NOFOLLOW)
  // in a parent reached through ConfinedDirectories, so they are confined by
  // construction, and written by a FileWriterPool so the kernel's share of
  // the work (inode creation, page-cache copies) runs on every core.
  // Everything else still goes through libarchive, on the calling thread.
  Status BeginFile(const TreeEntry& entry);
  Status WriteImpl(std::uint64_t content_offset, ByteSpan data,
                   const std::shared_ptr<const Bytes>& owner);
  Status EndFile();

  std::filesystem::path target_;  // canonical
  ArchiveHandle disk_;
  RestoreOptions options_;
  ArchiveEntryHandle entry_;
  ContentCursor cursor_;
  std::vector<ContentCursor::Piece> pieces_;
  std::string current_;                  // path of the entry in progress
  std::optional<TreeEntry> root_entry_;  // the "." entry, applied by Finish
  bool in_entry_ = false;
  bool in_root_ = false;
  bool entry_failed_ = false;
  bool fatal_ = false;
  bool finished_ = false;
  std::vector<Status> warnings_;

  std::unique_ptr<ConfinedDirectories> dirs_;
  std::unique_ptr<FileWriterPool> writers_;
  bool file_path_ = false;  // the entry in progress is on the fast path
  std::mutex warnings_mu_;  // writer threads add warnings too
  std::vector<std::pair<std::string, Status>> failed_entries_;
};

}  // namespace cairn
