// TarExport: a snapshot as a pax tar stream for an HTTP response body (the
// admin API's restore download), produced with bounded memory.
//
// A producer thread runs the engine's restore into a TarWriter on a pipe;
// Next() (called by the server on its worker pool, one call at a time)
// returns what the pipe holds, up to 1 MiB a call. A restore that fails part
// way makes Next() return the error, so the server aborts the chunked body and
// the client sees a truncated download, never a complete-looking one. If the
// client goes away, the destructor closes the pipe (the producer's writes
// fail with EPIPE -- SIGPIPE is ignored by the daemon) and joins the thread.
// Thread-safety: Next() from one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "appliance/daemon/store_service.h"
#include "core/engine/restore.h"

namespace cairn {

class TarExport {
 public:
  static Result<std::shared_ptr<TarExport>> Start(StoreService& store, Manifest manifest);
  ~TarExport();
  TarExport(const TarExport&) = delete;
  TarExport& operator=(const TarExport&) = delete;

  // The next piece of the stream; "" at its end.
  Result<std::string> Next();

 private:
  TarExport() = default;

  int read_fd_ = -1;
  std::thread producer_;
  Status outcome_;  // written by the producer before it closes its end
};

}  // namespace cairn
