#include "core/store/store_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <utility>

namespace cairn {

namespace {

constexpr const char* kLockName = "lock";

std::string ModeName(StoreLockMode mode) {
  return mode == StoreLockMode::kShared ? "shared" : "exclusive";
}

std::string ProgramName(long pid) {
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(comm, name);
  return name;
}

}  // namespace

Result<StoreLock> StoreLock::TryAcquire(const std::filesystem::path& store_dir,
                                        StoreLockMode mode) {
  return Lock(store_dir, mode, /*wait=*/false);
}

Result<StoreLock> StoreLock::Acquire(const std::filesystem::path& store_dir, StoreLockMode mode) {
  return Lock(store_dir, mode, /*wait=*/true);
}

Result<StoreLock> StoreLock::Lock(const std::filesystem::path& store_dir, StoreLockMode mode,
                                  bool wait) {
  const std::filesystem::path path = store_dir / kLockName;
  const std::string what = "lock store " + store_dir.string() + " (" + ModeName(mode) + ")";
  // O_CREAT inside an existing directory only: a mistyped --store must not
  // grow a stray folder.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno(errno, what + ": open " + path.string());
  StoreLock lock(fd, mode);  // closes fd on every return below
  const int op = (mode == StoreLockMode::kShared ? LOCK_SH : LOCK_EX) | (wait ? 0 : LOCK_NB);
  int rc;
  do {
    rc = ::flock(fd, op);
  } while (rc != 0 && errno == EINTR);
  if (rc == 0) return lock;
  if (errno != EWOULDBLOCK) return Status::FromErrno(errno, what);
  std::string message = what + ": held by another process";
  std::vector<std::string> holders = Holders(store_dir);
  if (!holders.empty()) {
    message = what + ": held by ";
    for (std::size_t i = 0; i < holders.size(); ++i) {
      message += (i ? ", " : "") + holders[i];
    }
  }
  return Status::Unavailable(message);
}

std::vector<std::string> StoreLock::Holders(const std::filesystem::path& store_dir) {
  std::vector<std::string> out;
  struct stat st;
  if (::stat((store_dir / kLockName).c_str(), &st) != 0) return out;
  // Lines look like "3: FLOCK  ADVISORY  READ 1234 fd:01:5678 0 EOF";
  // waiters carry "->" after the ordinal and are not holders.
  std::ifstream locks("/proc/locks");
  std::string line;
  while (std::getline(locks, line)) {
    std::istringstream in(line);
    std::string ordinal, kind, advisory, access, device;
    long pid = 0;
    if (!(in >> ordinal >> kind) || kind != "FLOCK") continue;
    if (!(in >> advisory >> access >> pid >> device)) continue;
    unsigned dev_major = 0, dev_minor = 0;
    unsigned long inode = 0;
    if (std::sscanf(device.c_str(), "%x:%x:%lu", &dev_major, &dev_minor, &inode) != 3) continue;
    if (inode != st.st_ino || dev_major != major(st.st_dev) || dev_minor != minor(st.st_dev)) {
      continue;
    }
    std::string who = "pid " + std::to_string(pid);
    const std::string program = ProgramName(pid);
    who += " (" + (program.empty() ? std::string() : program + ", ") +
           (access == "WRITE" ? "exclusive" : "shared") + ")";
    out.push_back(std::move(who));
  }
  return out;
}

StoreLock::StoreLock(StoreLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), mode_(other.mode_) {}

StoreLock& StoreLock::operator=(StoreLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    mode_ = other.mode_;
  }
  return *this;
}

StoreLock::~StoreLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the only descriptor releases the flock
}

}  // namespace cairn
