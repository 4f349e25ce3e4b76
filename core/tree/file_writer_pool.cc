#include "core/tree/file_writer_pool.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "core/tree/path_guard.h"

namespace cairn {

namespace {
constexpr std::size_t kQueueDepth = 16;
}  // namespace

FileWriterPool::FileWriterPool(int threads, MetadataFn apply_metadata)
    : apply_metadata_(std::move(apply_metadata)) {
  if (threads < 1) threads = 1;
  for (int i = 0; i < threads; ++i) workers_.push_back(std::make_unique<Worker>(kQueueDepth));
  for (auto& w : workers_) {
    Worker* worker = w.get();
    worker->thread = std::thread([this, worker] { Run(*worker); });
  }
}

FileWriterPool::~FileWriterPool() {
  for (auto& w : workers_) w->queue.Close();
  for (auto& w : workers_) w->thread.join();
}

Status FileWriterPool::Create(int dir_fd, std::string name, TreeEntry meta) {
  int dup = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return Status::FromErrno(errno, "restore " + QuotePath(meta.path) + ": dup");
  auto file = std::make_shared<FileState>();
  file->dir_fd = dup;
  file->name = std::move(name);
  file->meta = std::move(meta);
  file->meta.content.clear();
  current_ = file;
  current_worker_ = next_worker_++ % workers_.size();
  {
    std::lock_guard lock(mu_);
    ++queued_;
  }
  (void)workers_[current_worker_]->queue.Push(Job{Job::kCreate, std::move(file)});
  return Status::Ok();
}

void FileWriterPool::Write(std::uint64_t file_offset, ByteSpan data,
                           std::shared_ptr<const Bytes> owner) {
  {
    std::lock_guard lock(mu_);
    ++queued_;
  }
  Job job{Job::kWrite, current_};
  job.offset = file_offset;
  if (owner) {
    job.owner = std::move(owner);
    job.span = data;
  } else {
    job.copy.assign(data.begin(), data.end());
    job.span = job.copy;  // stays valid: moving a vector keeps its buffer
  }
  (void)workers_[current_worker_]->queue.Push(std::move(job));
}

void FileWriterPool::Close(bool content_complete, std::string shortfall) {
  {
    std::lock_guard lock(mu_);
    ++queued_;
  }
  Job job{Job::kClose, std::move(current_)};
  job.complete = content_complete;
  job.shortfall = std::move(shortfall);
  (void)workers_[current_worker_]->queue.Push(std::move(job));
}

void FileWriterPool::Drain() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [&] { return done_ == queued_; });
}

std::vector<std::pair<std::string, Status>> FileWriterPool::TakeFailures() {
  std::lock_guard lock(mu_);
  return std::exchange(failures_, {});
}

void FileWriterPool::Run(Worker& w) {
  while (auto job = w.queue.Pop()) {
    Handle(*job);
    Done();
  }
}

void FileWriterPool::Done() {
  {
    std::lock_guard lock(mu_);
    ++done_;
  }
  idle_cv_.notify_all();
}

void FileWriterPool::Handle(Job& job) {
  FileState& f = *job.file;
  const std::string label = "restore " + QuotePath(f.meta.path);
  switch (job.kind) {
    case Job::kCreate: {
      // O_EXCL + O_NOFOLLOW: never write into something already there (a
      // symlink or a hard link planted in the target). What is there is
      // replaced, as archive_write_disk does: unlinkat removes a symlink
      // itself, not its target.
      const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
      f.fd = ::openat(f.dir_fd, f.name.c_str(), flags, 0600);
      if (f.fd < 0 && errno == EEXIST) {
        if (::unlinkat(f.dir_fd, f.name.c_str(), 0) == 0) {
          f.fd = ::openat(f.dir_fd, f.name.c_str(), flags, 0600);
        }
      }
      if (f.fd < 0) {
        f.error = Status::FromErrno(errno, label + ": create");
      } else {
        f.created = true;
      }
      return;
    }
    case Job::kWrite: {
      if (!f.error.ok()) return;
      std::size_t done = 0;
      while (done < job.span.size()) {
        ssize_t n = ::pwrite(f.fd, job.span.data() + done, job.span.size() - done,
                             static_cast<off_t>(job.offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          f.error = Status::FromErrno(n < 0 ? errno : EIO, label + ": write");
          return;
        }
        done += static_cast<std::size_t>(n);
      }
      return;
    }
    case Job::kClose: {
      if (f.error.ok() && !job.complete) f.error = Status::InvalidArgument(label + ": " + job.shortfall);
      // The size, so a trailing hole is part of the file.
      if (f.error.ok() && ::ftruncate(f.fd, static_cast<off_t>(f.meta.size)) != 0) {
        f.error = Status::FromErrno(errno, label + ": set size");
      }
      if (f.error.ok()) {
        apply_metadata_(f.fd, f.meta);
        if (::close(f.fd) != 0) f.error = Status::FromErrno(errno, label + ": close");
        f.fd = -1;
      }
      if (!f.error.ok()) {
        if (f.fd >= 0) ::close(f.fd);
        // A file missing part of its content must not be mistaken for the
        // real one (a database with a run of zeros is worse than no file).
        std::string msg = f.error.message();
        if (f.created) {
          msg += ::unlinkat(f.dir_fd, f.name.c_str(), 0) == 0
                     ? " (the partial file was removed)"
                     : " (the partial file could not be removed)";
        }
        std::lock_guard lock(mu_);
        failures_.emplace_back(f.meta.path, Status(f.error.code(), std::move(msg)));
      }
      ::close(f.dir_fd);
      f.dir_fd = -1;
      return;
    }
  }
}

}  // namespace cairn
