#include "appliance/daemon/tar_export.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "core/tree/tar_writer.h"

namespace cairn {

Result<std::shared_ptr<TarExport>> TarExport::Start(StoreService& store, Manifest manifest) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Status::FromErrno(errno, "pipe for tar export");
  std::shared_ptr<TarExport> ex(new TarExport());
  ex->read_fd_ = fds[0];
  const int write_fd = fds[1];
  TarExport* raw = ex.get();
  ex->producer_ = std::thread([raw, &store, write_fd, m = std::move(manifest)] {
    Status outcome;
    auto writer = TarWriter::Create(write_fd);
    if (!writer.ok()) {
      outcome = writer.error();
    } else {
      RestoreRequest request;
      request.threads = 2;
      std::vector<std::unique_ptr<ChunkFetcher>> fetchers;
      for (int i = 0; i < request.threads; ++i) {
        fetchers.push_back(std::make_unique<StoreChunkFetcher>(store.store()));
      }
      auto result = RestoreManifest(m, std::move(fetchers), request, **writer);
      if (!result.ok()) {
        outcome = result.error();
      } else if (!result->errors.empty()) {
        outcome = Status::Corruption("snapshot " + m.snapshot_id + ": " +
                                     std::to_string(result->errors.size()) +
                                     " entries could not be read, first: " + result->errors[0]);
      }
      writer->reset();
    }
    raw->outcome_ = outcome;
    ::close(write_fd);  // EOF for the reader, after outcome_ is set
  });
  return ex;
}

TarExport::~TarExport() {
  if (read_fd_ >= 0) ::close(read_fd_);  // a producer blocked in write() gets EPIPE
  if (producer_.joinable()) producer_.join();
}

Result<std::string> TarExport::Next() {
  std::string piece(1 << 20, '\0');
  std::size_t have = 0;
  // Fill up to the piece size, or stop at EOF: fewer, larger HTTP chunks.
  while (have < piece.size()) {
    ssize_t n = ::read(read_fd_, piece.data() + have, piece.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno(errno, "read tar export pipe");
    if (n == 0) break;
    have += static_cast<std::size_t>(n);
  }
  piece.resize(have);
  if (have == 0) {
    if (producer_.joinable()) producer_.join();  // outcome_ is final now
    if (!outcome_.ok()) return outcome_;
  }
  return piece;
}

}  // namespace cairn
