// StoreLock: who may work on a store folder at the same time, across
// processes -- flock(2) on <store>/lock.
//
//   shared     writers that add to the store: a local `cairnctl backup`, the
//              appliance (for its whole lifetime). Any number at once.
//   exclusive  local-mode garbage collection, which removes chunks and must
//              not run beside a writer it cannot see (a backup's chunks are
//              unreferenced until its commit). Inside the appliance, GC runs
//              under the appliance's shared lock and is made safe by the
//              ingest's own locks instead (docs/gc.md).
//
// flock, not fcntl locks: flock locks belong to the open file description, so
// two holders in one process conflict as they would in two processes (fcntl
// locks would merge them, and any close() would drop both), and the kernel
// drops the lock when the holder dies -- a crash never leaves the store
// locked. The lock file is never removed (removing it would let two holders
// lock two different files). Readers (restore, verify, snapshots) take no
// lock: they never remove anything.
//
// Thread-safety: a StoreLock is a value owned by one thread at a time; the
// static functions may be called from any thread.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/base/status.h"

namespace cairn {

enum class StoreLockMode { kShared, kExclusive };

class StoreLock {
 public:
  // Takes the lock without waiting. Unavailable when another holder's mode
  // conflicts; the message names the holders ("pid 1234 (cairn-appliance)")
  // when /proc/locks shows them.
  static Result<StoreLock> TryAcquire(const std::filesystem::path& store_dir, StoreLockMode mode);
  // Waits as long as it takes (a backup waiting for a GC to finish).
  static Result<StoreLock> Acquire(const std::filesystem::path& store_dir, StoreLockMode mode);

  // Processes holding the lock of `store_dir`, e.g. "pid 1234 (cairnctl)",
  // from /proc/locks. Best effort: empty when nothing can be seen (other PID
  // namespaces, no /proc).
  static std::vector<std::string> Holders(const std::filesystem::path& store_dir);

  StoreLock(StoreLock&& other) noexcept;
  StoreLock& operator=(StoreLock&& other) noexcept;
  StoreLock(const StoreLock&) = delete;
  StoreLock& operator=(const StoreLock&) = delete;
  ~StoreLock();  // releases the lock

  StoreLockMode mode() const { return mode_; }

 private:
  StoreLock(int fd, StoreLockMode mode) : fd_(fd), mode_(mode) {}
  static Result<StoreLock> Lock(const std::filesystem::path& store_dir, StoreLockMode mode,
                                bool wait);

  int fd_ = -1;
  StoreLockMode mode_ = StoreLockMode::kShared;
};

}  // namespace cairn
