// FaultInjectionFs: a FileSystem wrapper for tests that (a) fails the Nth
// mutating operation and every one after it, as a dying disk or a process
// killed at that instant would, and (b) simulates a power cut: SimulateCrash()
// drops whatever was never made durable -- bytes appended after the last Sync,
// files created or renamed in a directory that was not synced afterwards.
//
// Modelled on LevelDB's fault_injection_test and Beast's fail-matrix loop:
//   for (int n = 0;; ++n) { fs.FailAfter(n); s = Op(); fs.SimulateCrash();
//                           check invariants; if (s.ok()) break; }
// Thread-safety: all methods are safe to call concurrently (one mutex).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "core/base/file_system.h"

namespace cairn {

class FaultInjectionFs final : public FileSystem {
 public:
  explicit FaultInjectionFs(FileSystem& base) : base_(base) {}

  // Mutating operation number n (0-based, counted from now) and all later
  // ones fail with IoError. A negative n disables injection.
  void FailAfter(int n);
  // Number of mutating operations performed since the last FailAfter/Reset.
  int operations() const;
  // Forgets injected failures and durability tracking.
  void Reset();
  // Drops everything not yet durable (see the header comment), then clears
  // the failure so the test can reopen and inspect the store.
  Status SimulateCrash();

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const fs::path& path, bool exclusive,
                                                        std::uint32_t mode) override;
  Result<std::unique_ptr<ReadableFile>> OpenReadable(const fs::path& path) override;
  Status Rename(const fs::path& from, const fs::path& to) override;
  Status RemoveFile(const fs::path& path) override;
  Status CreateDirectories(const fs::path& path) override;
  Status SyncDirectory(const fs::path& path) override;
  Status SyncFilesystem(const fs::path& path) override;
  Result<bool> Exists(const fs::path& path) override;
  Result<std::vector<std::string>> ListDirectory(const fs::path& path) override;
  Result<std::uint64_t> FileSize(const fs::path& path) override;
  Result<std::int64_t> ModifiedUnixNs(const fs::path& path) override;

 private:
  friend class FaultInjectionWritableFile;
  struct FileState {
    std::uint64_t size = 0;
    std::uint64_t synced_size = 0;
    bool name_durable = false;  // created/renamed here and its directory synced since
  };
  struct PendingRename {
    fs::path from, to;
    std::optional<Bytes> replaced;  // old content of `to`, if the rename replaced a file
    FileState from_state;           // what `from` was before, restored when the rename is undone
  };

  // Counts one mutating operation; returns the injected error if it is due.
  Status MaybeFail(std::string_view op, const fs::path& path);
  void RecordAppend(const fs::path& path, std::uint64_t n);
  void RecordSync(const fs::path& path);

  FileSystem& base_;
  mutable std::mutex mu_;
  int fail_after_ = -1;
  int ops_ = 0;
  std::map<fs::path, FileState> files_;
  std::vector<PendingRename> renames_;
};

}  // namespace cairn
