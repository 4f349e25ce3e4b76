// Clock: the seam for time, so tests can fix "now".
// SystemClock reads the real clock; FakeClock is set by the test.
// Thread-safety: both are safe to call from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace cairn {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, nanoseconds since the Unix epoch (for timestamps).
  virtual std::int64_t NowUnixNanos() const = 0;
  // Monotonic nanoseconds (for durations and rates); arbitrary origin.
  virtual std::int64_t MonotonicNanos() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t NowUnixNanos() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  std::int64_t MonotonicNanos() const override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::int64_t unix_nanos = 1'700'000'000'000'000'000) : now_(unix_nanos) {}
  std::int64_t NowUnixNanos() const override { return now_.load(); }
  std::int64_t MonotonicNanos() const override { return now_.load(); }
  void Advance(std::int64_t nanos) { now_ += nanos; }
  void Set(std::int64_t unix_nanos) { now_ = unix_nanos; }

 private:
  std::atomic<std::int64_t> now_;
};

// The process-wide real clock.
inline Clock& DefaultClock() {
  static SystemClock clock;
  return clock;
}

}  // namespace cairn
