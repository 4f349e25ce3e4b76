#include "core/tree/archive_entry_codec.h"

#include <sys/stat.h>

#include <climits>

namespace cairn {

void SplitNanos(std::int64_t ns, std::int64_t& sec, long& nsec) {
  sec = ns / 1000000000LL;
  std::int64_t rem = ns % 1000000000LL;
  if (rem < 0) {  // floor, so that nsec is never negative
    rem += 1000000000LL;
    --sec;
  }
  nsec = static_cast<long>(rem);
}

std::int64_t JoinNanos(std::int64_t sec, long nsec) {
  std::int64_t ns;
  if (__builtin_mul_overflow(sec, 1000000000LL, &ns) ||
      __builtin_add_overflow(ns, static_cast<std::int64_t>(nsec), &ns)) {
    return sec < 0 ? INT64_MIN : INT64_MAX;
  }
  return ns;
}

std::string ArchiveError(struct archive* a) {
  const char* s = archive_error_string(a);
  return s != nullptr ? s : "unknown libarchive error";
}

void FillArchiveEntry(const TreeEntry& e, const std::string& pathname, const std::string& hardlink,
                      const ArchiveEntryOptions& options, struct archive_entry* out) {
  archive_entry_copy_pathname(out, pathname.c_str());
  switch (e.type) {
    case EntryType::kFile:
    case EntryType::kHardlink:
      archive_entry_set_filetype(out, AE_IFREG);
      break;
    case EntryType::kDirectory:
      archive_entry_set_filetype(out, AE_IFDIR);
      break;
    case EntryType::kSymlink:
      archive_entry_set_filetype(out, AE_IFLNK);
      break;
    case EntryType::kCharDevice:
      archive_entry_set_filetype(out, AE_IFCHR);
      break;
    case EntryType::kBlockDevice:
      archive_entry_set_filetype(out, AE_IFBLK);
      break;
    case EntryType::kFifo:
      archive_entry_set_filetype(out, AE_IFIFO);
      break;
  }
  archive_entry_set_perm(out, e.mode & 07777);
  archive_entry_set_uid(out, e.uid);
  archive_entry_set_gid(out, e.gid);
  if (!e.uname.empty()) archive_entry_copy_uname(out, e.uname.c_str());
  if (!e.gname.empty()) archive_entry_copy_gname(out, e.gname.c_str());
  std::int64_t sec;
  long nsec;
  SplitNanos(e.mtime_ns, sec, nsec);
  archive_entry_set_mtime(out, sec, nsec);
  SplitNanos(e.atime_ns, sec, nsec);
  archive_entry_set_atime(out, sec, nsec);
  if (e.ctime_ns != 0) {
    SplitNanos(e.ctime_ns, sec, nsec);
    archive_entry_set_ctime(out, sec, nsec);
  }
  if (e.inode != 0) archive_entry_set_ino64(out, static_cast<la_int64_t>(e.inode));
  if (e.device != 0) archive_entry_set_dev(out, static_cast<dev_t>(e.device));
  if (e.nlink != 0) archive_entry_set_nlink(out, static_cast<unsigned int>(e.nlink));
  archive_entry_set_size(out, static_cast<la_int64_t>(e.type == EntryType::kFile ? e.size : 0));
  if (e.type == EntryType::kSymlink) archive_entry_copy_symlink(out, e.link_target.c_str());
  if (e.type == EntryType::kHardlink) archive_entry_copy_hardlink(out, hardlink.c_str());
  if (e.type == EntryType::kCharDevice || e.type == EntryType::kBlockDevice) {
    archive_entry_set_rdevmajor(out, e.rdev_major);
    archive_entry_set_rdevminor(out, e.rdev_minor);
  }
  if (options.xattrs) {
    for (const auto& [name, value] : e.xattrs) {
      archive_entry_xattr_add_entry(out, name.c_str(), value.data(), value.size());
    }
  }
  if (options.sparse_map && e.type == EntryType::kFile) {
    for (const DataRegion& r : e.sparse) {
      archive_entry_sparse_add_entry(out, static_cast<la_int64_t>(r.offset),
                                     static_cast<la_int64_t>(r.length));
    }
  }
}

}  // namespace cairn
