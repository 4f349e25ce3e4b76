// ApplianceMetrics: the counters behind GET /metrics (Prometheus text format
// 0.0.4) and GET /v1/status. Counters are atomics bumped by handlers on the
// worker pool; gauges that live elsewhere (store size, snapshots, listener
// stats) are read when the page is rendered.
// Thread-safety: all members may be used from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace cairn {

struct ApplianceMetrics {
  std::atomic<std::uint64_t> ingest_bytes{0};            // chunk payload bytes received
  std::atomic<std::uint64_t> ingest_chunks_stored{0};
  std::atomic<std::uint64_t> ingest_chunks_deduplicated{0};  // offered, already present
  std::atomic<std::uint64_t> ingest_chunks_refused{0};   // content did not match the id
  std::atomic<std::uint64_t> snapshots_committed{0};
  std::atomic<std::uint64_t> active_uploads{0};          // chunk/commit requests in progress
  std::atomic<std::uint64_t> enrollments{0};
  std::atomic<std::uint64_t> auth_failures{0};           // refused tokens and certificates
  std::atomic<std::uint64_t> errors{0};                  // 5xx answers from handlers
  // Replicas pushed here by paired appliances (replica_api.h).
  std::atomic<std::uint64_t> replica_bytes_received{0};  // object bytes peers sent (PUT bodies)
  std::atomic<std::uint64_t> replica_objects_stored{0};  // new objects written for peers
  std::atomic<std::uint64_t> replica_objects_kept{0};    // resent objects already held, not rewritten
  std::atomic<std::uint64_t> replica_refusals{0};        // refused writes and deletes
  std::atomic<std::uint64_t> peer_pairings{0};
};

// A gauge or counter line pair: "# TYPE name kind\nname value\n".
void AppendMetric(std::string& out, std::string_view name, std::string_view kind,
                  std::string_view help, double value, std::string_view labels = "");

}  // namespace cairn
