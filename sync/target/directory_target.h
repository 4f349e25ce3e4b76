// DirectoryTarget: a replica in a local directory (a mounted disk, an NFS
// export, a USB drive carried off-site) -- and the simplest ReplicaTarget,
// used by the engine's tests. The directory is laid out exactly as a store
// (ReplicaLayout), so `cairnctl replica attach --dir` or, with the recovery
// kit, the store itself can open it.
//
// Writes are atomic and durable (WriteFileAtomically). Locks are not
// supported. Thread-safety: one object per thread (ReplicaTarget); several
// objects may share a directory (distinct keys, atomic renames).
#pragma once

#include <filesystem>

#include "core/base/file_system.h"
#include "sync/target/replica_target.h"

namespace cairn {

class DirectoryTarget final : public ReplicaTarget {
 public:
  DirectoryTarget(FileSystem& fs, std::filesystem::path dir) : fs_(fs), dir_(std::move(dir)) {}

  std::string Describe() const override { return "directory " + dir_.string(); }
  Result<ProbeResult> Probe() override;
  Status Put(std::string_view key, ByteSpan data, const PutOptions& options) override;
  Result<Bytes> Get(std::string_view key, std::uint64_t max_bytes) override;
  Status List(std::string_view prefix,
              const std::function<Status(std::string_view, std::uint64_t)>& on_key) override;
  Status Delete(std::string_view key) override;

 private:
  FileSystem& fs_;
  std::filesystem::path dir_;
};

}  // namespace cairn
