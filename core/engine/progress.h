// Live figures of a long-running job (backup, restore, verify), updated by the
// engine's threads and read by whoever shows progress (the CLI's terminal
// line, later the API). Relaxed atomics: these are figures, not
// synchronisation.
#pragma once

#include <atomic>
#include <cstdint>

namespace cairn {

struct JobProgress {
  std::atomic<std::uint64_t> entries{0};        // entries walked / restored / checked
  std::atomic<std::uint64_t> bytes_done{0};     // content bytes read / written / verified
  std::atomic<std::uint64_t> bytes_total{0};    // expected total, 0 when unknown
  std::atomic<std::uint64_t> bytes_new{0};      // backup: plaintext bytes of new chunks
  std::atomic<std::uint64_t> bytes_stored{0};   // backup: sealed bytes written
  std::atomic<std::uint64_t> chunks_done{0};
  std::atomic<std::uint64_t> problems{0};       // verify: damaged chunks so far

  void Add(std::atomic<std::uint64_t>& field, std::uint64_t n) {
    field.fetch_add(n, std::memory_order_relaxed);
  }
};

}  // namespace cairn
