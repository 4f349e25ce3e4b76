// FileSystem: the seam through which the store touches the disk.
//
// Production code uses PosixFileSystem; tests wrap it in FaultInjectionFs
// (core/base/fault_injection_fs.h) to fail the Nth operation or to simulate a
// crash that drops data which was never synced. Everything that must survive
// a crash goes through WriteFileAtomically().
//
// Thread-safety: implementations are safe to call from many threads at once;
// a WritableFile / ReadableFile object belongs to one thread at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/status.h"

namespace cairn {

namespace fs = std::filesystem;

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(ByteSpan data) = 0;
  // Makes everything appended so far durable (fdatasync).
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
};

class ReadableFile {
 public:
  virtual ~ReadableFile() = default;
  // Reads up to buf.size() bytes at offset; returns the count (0 at EOF).
  virtual Result<std::size_t> ReadAt(std::uint64_t offset, MutableByteSpan buf) = 0;
  virtual Result<std::uint64_t> Size() = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Creates `path` for writing with permission bits `mode` (applied exactly:
  // libarchive sets the process umask to 0 during restores, so never rely on
  // it). With exclusive=true an existing file is an AlreadyExists error;
  // otherwise it is truncated.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const fs::path& path,
                                                                bool exclusive,
                                                                std::uint32_t mode) = 0;
  virtual Result<std::unique_ptr<ReadableFile>> OpenReadable(const fs::path& path) = 0;
  // Atomically replaces `to` with `from` (rename(2)).
  virtual Status Rename(const fs::path& from, const fs::path& to) = 0;
  virtual Status RemoveFile(const fs::path& path) = 0;
  // mkdir -p; existing directories are fine.
  virtual Status CreateDirectories(const fs::path& path) = 0;
  // fsync of a directory, making renames and creations inside it durable.
  virtual Status SyncDirectory(const fs::path& path) = 0;
  // syncfs(2): makes the data of every file on the filesystem holding `path`
  // durable in one call -- far cheaper than one fdatasync per small file.
  virtual Status SyncFilesystem(const fs::path& path) = 0;
  virtual Result<bool> Exists(const fs::path& path) = 0;
  // Names (not paths) of the entries of a directory, sorted.
  virtual Result<std::vector<std::string>> ListDirectory(const fs::path& path) = 0;
  virtual Result<std::uint64_t> FileSize(const fs::path& path) = 0;
  // Last modification time (st_mtim), in unix nanoseconds: how garbage
  // collection tells a chunk an in-flight backup may have just written.
  virtual Result<std::int64_t> ModifiedUnixNs(const fs::path& path) = 0;
};

// The process-wide POSIX implementation (stateless; one instance is enough).
FileSystem& DefaultFileSystem();

// Durable, never torn: writes `data` to "<path>.tmp-<random>", fsyncs it,
// renames it over `path` and fsyncs the parent directory. After a crash the
// final name holds either the old content or all of the new one. On failure
// the temporary file is removed (best effort).
// With sync_directory=false the caller promises to SyncDirectory() the parent
// before it relies on the name (used to batch directory syncs).
// `mode` is the new file's permission bits (0600 for secrets): the temporary
// has them from its creation, so a secret is never readable by others.
Status WriteFileAtomically(FileSystem& fs, const fs::path& path, ByteSpan data,
                           bool sync_directory = true, std::uint32_t mode = 0644);

// Creates `path` (must not exist) with `data`, without syncing: for writers
// that make many files durable at once with SyncFilesystem before renaming
// them to their final names.
Status WriteNewFile(FileSystem& fs, const fs::path& path, ByteSpan data);

// A unique temporary name beside `path`: "<path>.tmp-<pid>-<n>-<random>".
fs::path TemporaryPathFor(const fs::path& path);

// Reads a whole file, refusing (InvalidArgument) one larger than max_bytes:
// every size that reaches us from outside is bounded.
Result<Bytes> ReadWholeFile(FileSystem& fs, const fs::path& path, std::uint64_t max_bytes);

}  // namespace cairn
