// TokenBucket: the per-target bandwidth limit, shared by the target's
// upload streams. Each upload takes its size up front; when that leaves the
// bucket in debt the caller sleeps until the debt is repaid at `rate`, so
// the average rate over any stretch longer than one object is at most
// `rate` plus one burst. Objects are at most a few MiB, so a limit of even
// 100 kB/s is honoured within seconds, without splitting writes.
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "core/base/status.h"

namespace cairn {

class TokenBucket {
 public:
  // rate in bytes per second (0: unlimited); burst: bytes that may go at
  // once after an idle spell.
  TokenBucket(std::uint64_t rate, std::uint64_t burst);

  // Takes `bytes`, sleeping while the bucket is in debt. Cancelled when
  // `stop` becomes true or Interrupt() is called while waiting.
  Status Acquire(std::uint64_t bytes, const std::atomic<bool>& stop);
  // Wakes every waiter (they re-check `stop`).
  void Interrupt();
  void SetRate(std::uint64_t rate, std::uint64_t burst);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  double rate_;
  double burst_;
  double tokens_;          // may go negative (debt)
  std::int64_t last_ns_;   // steady clock of the last refill
};

}  // namespace cairn
