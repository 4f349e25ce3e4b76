// PosixFileSystem: the production FileSystem, plain POSIX calls with every
// return code checked and errno turned into a Status with the path as context.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <random>

#include "core/base/file_system.h"

namespace cairn {
namespace {

// Retries a syscall interrupted by a signal.
template <typename F>
auto RetryEintr(F f) {
  decltype(f()) r;
  do {
    r = f();
  } while (r < 0 && errno == EINTR);
  return r;
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(int fd, fs::path path) : fd_(fd), path_(std::move(path)) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Append(ByteSpan data) override {
    while (!data.empty()) {
      ssize_t n = RetryEintr([&] { return ::write(fd_, data.data(), data.size()); });
      if (n < 0) return Status::FromErrno(errno, "write " + path_.string());
      data = data.subspan(static_cast<std::size_t>(n));
    }
    return Status::Ok();
  }
  Status Sync() override {
    if (RetryEintr([&] { return ::fdatasync(fd_); }) != 0) {
      return Status::FromErrno(errno, "fdatasync " + path_.string());
    }
    return Status::Ok();
  }
  Status Close() override {
    int fd = fd_;
    fd_ = -1;
    if (fd >= 0 && ::close(fd) != 0) return Status::FromErrno(errno, "close " + path_.string());
    return Status::Ok();
  }

 private:
  int fd_;
  fs::path path_;
};

class PosixReadableFile final : public ReadableFile {
 public:
  PosixReadableFile(int fd, fs::path path) : fd_(fd), path_(std::move(path)) {}
  ~PosixReadableFile() override { ::close(fd_); }

  Result<std::size_t> ReadAt(std::uint64_t offset, MutableByteSpan buf) override {
    std::size_t done = 0;
    while (done < buf.size()) {
      ssize_t n = RetryEintr([&] {
        return ::pread(fd_, buf.data() + done, buf.size() - done, static_cast<off_t>(offset + done));
      });
      if (n < 0) return Status::FromErrno(errno, "read " + path_.string());
      if (n == 0) break;
      done += static_cast<std::size_t>(n);
    }
    return done;
  }
  Result<std::uint64_t> Size() override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return Status::FromErrno(errno, "stat " + path_.string());
    return static_cast<std::uint64_t>(st.st_size);
  }

 private:
  int fd_;
  fs::path path_;
};

class PosixFileSystem final : public FileSystem {
 public:
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const fs::path& path, bool exclusive,
                                                        std::uint32_t mode) override {
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC);
    int fd = RetryEintr([&] { return ::open(path.c_str(), flags, static_cast<mode_t>(mode)); });
    if (fd < 0) return Status::FromErrno(errno, "create " + path.string());
    // open() applies the umask; set the bits exactly as asked.
    if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) {
      int err = errno;
      ::close(fd);
      return Status::FromErrno(err, "chmod " + path.string());
    }
    return std::unique_ptr<WritableFile>(new PosixWritableFile(fd, path));
  }

  Result<std::unique_ptr<ReadableFile>> OpenReadable(const fs::path& path) override {
    int fd = RetryEintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); });
    if (fd < 0) return Status::FromErrno(errno, "open " + path.string());
    return std::unique_ptr<ReadableFile>(new PosixReadableFile(fd, path));
  }

  Status Rename(const fs::path& from, const fs::path& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return Status::FromErrno(errno, "rename " + from.string() + " to " + to.string());
    }
    return Status::Ok();
  }

  Status RemoveFile(const fs::path& path) override {
    if (::unlink(path.c_str()) != 0) return Status::FromErrno(errno, "remove " + path.string());
    return Status::Ok();
  }

  Status CreateDirectories(const fs::path& path) override {
    std::error_code ec;
    fs::create_directories(path, ec);
    if (ec) return Status::FromErrno(ec.value(), "mkdir " + path.string());
    return Status::Ok();
  }

  Status SyncDirectory(const fs::path& path) override {
    int fd = RetryEintr([&] { return ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); });
    if (fd < 0) return Status::FromErrno(errno, "open directory " + path.string());
    int rc = RetryEintr([&] { return ::fsync(fd); });
    int err = errno;
    ::close(fd);
    if (rc != 0) return Status::FromErrno(err, "fsync directory " + path.string());
    return Status::Ok();
  }

  Status SyncFilesystem(const fs::path& path) override {
    int fd = RetryEintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); });
    if (fd < 0) return Status::FromErrno(errno, "open " + path.string());
    int rc = ::syncfs(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return Status::FromErrno(err, "syncfs " + path.string());
    return Status::Ok();
  }

  Result<bool> Exists(const fs::path& path) override {
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0) return true;
    if (errno == ENOENT || errno == ENOTDIR) return false;
    return Status::FromErrno(errno, "stat " + path.string());
  }

  Result<std::vector<std::string>> ListDirectory(const fs::path& path) override {
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) return Status::FromErrno(errno, "list " + path.string());
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* e = ::readdir(dir)) {
      std::string_view name(e->d_name);
      if (name != "." && name != "..") names.emplace_back(name);
      errno = 0;
    }
    int err = errno;
    ::closedir(dir);
    if (err != 0) return Status::FromErrno(err, "list " + path.string());
    std::sort(names.begin(), names.end());
    return names;
  }

  Result<std::uint64_t> FileSize(const fs::path& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return Status::FromErrno(errno, "stat " + path.string());
    return static_cast<std::uint64_t>(st.st_size);
  }

  Result<std::int64_t> ModifiedUnixNs(const fs::path& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return Status::FromErrno(errno, "stat " + path.string());
    return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  }
};

std::string RandomSuffix() {
  static std::atomic<std::uint64_t> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const std::string pid = std::to_string(::getpid());
  return pid + "-" + std::to_string(counter++) + "-" +
         std::to_string(rng() & 0xffffff);
}

}  // namespace

FileSystem& DefaultFileSystem() {
  static PosixFileSystem fs;
  return fs;
}

fs::path TemporaryPathFor(const fs::path& path) {
  fs::path tmp = path;
  tmp += ".tmp-" + RandomSuffix();
  return tmp;
}

Status WriteNewFile(FileSystem& fs, const fs::path& path, ByteSpan data) {
  CAIRN_ASSIGN_OR_RETURN(auto file, fs.NewWritableFile(path, /*exclusive=*/true, 0644));
  Status s = file->Append(data);
  Status closed = file->Close();
  if (s.ok()) s = closed;
  if (!s.ok()) fs.RemoveFile(path).IgnoreError();  // best effort; s is what matters
  return s;
}

Status WriteFileAtomically(FileSystem& fs, const fs::path& path, ByteSpan data,
                           bool sync_directory, std::uint32_t mode) {
  fs::path tmp = TemporaryPathFor(path);
  auto file = fs.NewWritableFile(tmp, /*exclusive=*/true, mode);
  if (!file.ok()) return file.error();
  Status s = (*file)->Append(data);
  if (s.ok()) s = (*file)->Sync();
  Status closed = (*file)->Close();
  if (s.ok()) s = closed;
  if (s.ok()) s = fs.Rename(tmp, path);
  if (!s.ok()) {
    fs.RemoveFile(tmp).IgnoreError();  // best effort; the error that matters is s
    return s;
  }
  if (sync_directory) {
    fs::path parent = path.parent_path();
    s = fs.SyncDirectory(parent.empty() ? fs::path(".") : parent);
  }
  return s;
}

Result<Bytes> ReadWholeFile(FileSystem& fs, const fs::path& path, std::uint64_t max_bytes) {
  CAIRN_ASSIGN_OR_RETURN(auto file, fs.OpenReadable(path));
  CAIRN_ASSIGN_OR_RETURN(std::uint64_t size, file->Size());
  if (size > max_bytes) {
    return Status::InvalidArgument("read " + path.string() + ": file is " + std::to_string(size) +
                                   " bytes, more than the " + std::to_string(max_bytes) +
                                   " allowed for it");
  }
  Bytes data(size);
  CAIRN_ASSIGN_OR_RETURN(std::size_t n, file->ReadAt(0, data));
  if (n != size) {
    return Status::IoError("read " + path.string() + ": file changed size while being read");
  }
  return data;
}

}  // namespace cairn
