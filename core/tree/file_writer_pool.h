// FileWriterPool: writes restored regular files on several threads. A restore
// is mostly kernel work -- creating inodes and copying data into the page
// cache -- and on one thread that work is serialized on one core.
//
// The restorer (one thread) queues, per file: Create, any number of Write
// (each owning a copy of its bytes, at most a chunk), then Close. All jobs of
// one file go to the same worker, in order, so a file's writes land before
// its metadata and close; different files proceed in parallel. Queues are
// bounded, so memory stays at about threads × depth × chunk size.
//
// Failures are per file: the partial file is removed and the failure is
// reported by TakeFailures() (naming the path). Drain() waits until every
// queued job is done (before a hard link to a file, and at the end).
// Thread-safety: the public methods belong to the restorer's thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/base/bounded_queue.h"
#include "core/base/bytes.h"
#include "core/base/status.h"
#include "core/tree/tree_entry.h"

namespace cairn {

class FileWriterPool {
 public:
  // Applies owner, mode, xattrs and times to an open file; may record
  // warnings. Called on worker threads, so it must be thread-safe.
  using MetadataFn = std::function<void(int fd, const TreeEntry& meta)>;

  FileWriterPool(int threads, MetadataFn apply_metadata);
  ~FileWriterPool();
  FileWriterPool(const FileWriterPool&) = delete;
  FileWriterPool& operator=(const FileWriterPool&) = delete;

  // Starts a file: `dir_fd` is duplicated (the caller keeps its own).
  // `meta` carries path, size and metadata; its content slices are unused.
  Status Create(int dir_fd, std::string name, TreeEntry meta);
  // Bytes at a file offset of the file started last. With an `owner` (the
  // buffer `data` lies in) the job keeps it alive instead of copying.
  void Write(std::uint64_t file_offset, ByteSpan data, std::shared_ptr<const Bytes> owner);
  // Completes the file started last. `content_complete` false: the restorer
  // saw it come up short, so it is removed and reported.
  void Close(bool content_complete, std::string shortfall);
  void Drain();
  // Files that failed since the last call: (path, what happened).
  std::vector<std::pair<std::string, Status>> TakeFailures();

 private:
  struct FileState {
    int dir_fd = -1;  // owned (a dup)
    std::string name;
    TreeEntry meta;
    int fd = -1;
    bool created = false;  // only a file this pool created is ever removed
    Status error;          // first failure; later jobs of the file are skipped
  };
  struct Job {
    enum Kind { kCreate, kWrite, kClose };
    Job(Kind k, std::shared_ptr<FileState> f) : kind(k), file(std::move(f)) {}
    Kind kind;
    std::shared_ptr<FileState> file;
    std::uint64_t offset = 0;
    Bytes copy;                          // the bytes, when there is no owner
    std::shared_ptr<const Bytes> owner;  // or the buffer `span` lies in
    ByteSpan span;
    bool complete = true;
    std::string shortfall;
  };
  struct Worker {
    explicit Worker(std::size_t depth) : queue(depth) {}
    BoundedQueue<Job> queue;
    std::thread thread;
  };

  void Run(Worker& w);
  void Handle(Job& job);
  void Done();

  MetadataFn apply_metadata_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::shared_ptr<FileState> current_;
  std::size_t current_worker_ = 0;
  std::size_t next_worker_ = 0;

  std::mutex mu_;  // guards the members below
  std::condition_variable idle_cv_;
  std::uint64_t queued_ = 0, done_ = 0;
  std::vector<std::pair<std::string, Status>> failures_;
};

}  // namespace cairn
