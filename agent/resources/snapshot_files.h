// SnapshotFiles: the regular files of a Kubernetes resources snapshot held in
// memory (path -> content), which is what the restore planner reads. Two ways
// to get them:
//  - SnapshotFilesSink, an EntrySink that RunAgentRestore (or RunRestore)
//    writes a snapshot into, instead of a directory on disk;
//  - LoadSnapshotDir, for a snapshot already extracted as a directory tree
//    (`cairnctl restore` output, `restore-resources --from-dir`).
//
// Both are bounded: a snapshot comes from an appliance or a disk we do not
// trust to be small, so the number of files, each file's size and the total
// are capped, and anything but regular files and directories (symlinks, hard
// links, devices, FIFOs) is refused -- a resources snapshot never holds them.
//
// Thread-safety: a sink belongs to one thread at a time (EntrySink);
// SnapshotFiles is a plain value.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/tree/entry_sink.h"

namespace cairn::kube {

struct SnapshotFilesLimits {
  std::uint64_t max_total_bytes = 2ull << 30;  // all files together
  std::uint64_t max_file_bytes = 64ull << 20;  // one object (etcd's limit is 1.5 MiB)
  std::size_t max_files = 2'000'000;
};

struct SnapshotFiles {
  std::map<std::string, std::string> files;  // relative '/'-separated path -> content
  std::uint64_t total_bytes = 0;
  std::vector<std::string> refused;  // "path: why", entries not kept
};

class SnapshotFilesSink : public EntrySink {
 public:
  explicit SnapshotFilesSink(SnapshotFilesLimits limits = {}) : limits_(limits) {}

  Status Begin(const TreeEntry& entry) override;
  Status Write(std::uint64_t content_offset, ByteSpan data) override;
  Status End() override;
  Status Finish() override;
  const std::vector<Status>& warnings() const override { return warnings_; }

  // The files kept so far (complete after Finish). Moves them out.
  SnapshotFiles Take() { return std::move(files_); }

 private:
  Status Refuse(const std::string& path, Status why);

  SnapshotFilesLimits limits_;
  SnapshotFiles files_;
  std::vector<Status> warnings_;
  bool in_entry_ = false;
  bool in_directory_ = false;  // the open entry is a directory: no content
  bool finished_ = false;
  std::string path_;
  std::string content_;
  std::uint64_t expected_ = 0;
};

// Reads every regular file under `dir` (recursively) into SnapshotFiles.
// Symlinks and special files are refused (named in `refused`), never
// followed; exceeding a limit is an error (InvalidArgument naming the limit).
Result<SnapshotFiles> LoadSnapshotDir(const std::filesystem::path& dir,
                                      const SnapshotFilesLimits& limits = {});

}  // namespace cairn::kube
