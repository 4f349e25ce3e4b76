#include "core/tree/file_content_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace cairn {

namespace {

std::int64_t Nanos(const struct timespec& ts) {
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

}  // namespace

Result<std::unique_ptr<FileContentReader>> FileContentReader::Open(
    const std::filesystem::path& path, const TreeEntry& entry) {
  if (entry.type != EntryType::kFile) {
    return Status::InvalidArgument("read content of " + path.string() + ": a " +
                                   std::string(EntryTypeName(entry.type)) + " has no content");
  }
  // O_NOATIME is allowed only to the file's owner or with CAP_FOWNER.
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NOATIME);
  if (fd < 0 && errno == EPERM)
    fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return Status::FromErrno(errno, "open " + path.string());
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::FromErrno(err, "stat " + path.string());
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument("read content of " + path.string() +
                                   ": no longer a regular file");
  }
  (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);  // advice only
  return std::unique_ptr<FileContentReader>(new FileContentReader(path, fd, entry));
}

FileContentReader::FileContentReader(std::filesystem::path path, int fd, const TreeEntry& entry)
    : path_(std::move(path)),
      fd_(fd),
      size_(entry.size),
      mtime_ns_(entry.mtime_ns),
      ctime_ns_(entry.ctime_ns) {
  if (entry.sparse.empty()) {
    if (entry.size > 0) regions_.push_back({0, entry.size});
  } else {
    for (const DataRegion& r : entry.sparse) {
      if (r.length > 0) regions_.push_back(r);
    }
  }
  content_length_ = entry.ContentLength();
}

FileContentReader::~FileContentReader() { ::close(fd_); }

Result<std::size_t> FileContentReader::Read(MutableByteSpan buf) {
  std::size_t filled = 0;
  while (filled < buf.size() && region_ < regions_.size()) {
    const DataRegion& r = regions_[region_];
    const std::uint64_t want = std::min<std::uint64_t>(r.length - in_region_, buf.size() - filled);
    ssize_t n = 0;
    if (!ended_early_) {
      n = ::pread(fd_, buf.data() + filled, want, static_cast<off_t>(r.offset + in_region_));
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::FromErrno(errno, "read " + path_.string());
      }
      if (n == 0) ended_early_ = true;  // shrank: the rest reads as zeros
    }
    if (ended_early_) {
      std::memset(buf.data() + filled, 0, want);
      n = static_cast<ssize_t>(want);
    }
    filled += static_cast<std::size_t>(n);
    in_region_ += static_cast<std::uint64_t>(n);
    if (in_region_ == r.length) {
      ++region_;
      in_region_ = 0;
    }
  }
  return filled;
}

Status FileContentReader::CheckUnchanged() const {
  struct stat st;
  if (::fstat(fd_, &st) != 0) return Status::FromErrno(errno, "stat " + path_.string());
  std::string what;
  if (ended_early_) what = "it ended early (the missing bytes were stored as zeros)";
  if (static_cast<std::uint64_t>(st.st_size) != size_) {
    if (!what.empty()) what += "; ";
    what += "size " + std::to_string(size_) + " -> " + std::to_string(st.st_size);
  }
  if (Nanos(st.st_mtim) != mtime_ns_ || Nanos(st.st_ctim) != ctime_ns_) {
    if (!what.empty()) what += "; ";
    what += "mtime or ctime differ";
  }
  if (what.empty()) return Status::Ok();
  return Status::IoError(path_.string() + " changed while being read: " + what);
}

}  // namespace cairn
