// Appliance: the running daemon -- opens the store, the registry and the
// PKI, builds the two listeners (ingest: mTLS for agents; admin: TLS + API
// tokens), and runs one I/O thread (the caller's) plus a worker pool for
// everything that blocks (SQLite, fsync, hashing, sealing).
//
// Shutdown: SIGTERM or SIGINT stops accepting on both listeners, lets
// requests in flight finish (uploads up to 30 s), makes received chunks
// durable, and returns from Run(). A second signal is not needed and not
// special: the shutdown is already bounded.
// Thread-safety: Open and Run from the main thread.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>

#include "appliance/config/appliance_config.h"
#include "core/base/status.h"

namespace cairn {

struct RunOptions {
  // Written (atomically) once both listeners listen: {"ingest_port": N,
  // "admin_port": N, "pid": N}. Lets tests and scripts use port 0.
  std::optional<std::filesystem::path> ready_file;
};

class Appliance {
 public:
  static Result<std::unique_ptr<Appliance>> Open(const ApplianceConfig& config);
  ~Appliance();
  // Serves until SIGTERM/SIGINT; Ok after a clean shutdown.
  Status Run(const RunOptions& options);

 private:
  struct Impl;
  explicit Appliance(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn
