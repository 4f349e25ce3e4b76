// TokenBucket: the client-side rate limit of KubeClient (client-go's
// "qps"/"burst"). The bucket holds at most `burst` tokens and refills at `qps`
// tokens a second; each request takes one. When the bucket is empty the
// request is not refused: Reserve() returns how long the caller must sleep
// before sending, and the token is already spoken for (the bucket may go
// negative), so callers that sleep as told are spaced exactly 1/qps apart.
//
// Kept in integer nanoseconds as a "theoretical arrival time" (GCRA, the
// token bucket's exact equivalent) so waits do not drift with rounding.
// Time comes from a Clock (monotonic) so tests drive it with a FakeClock.
// Thread-safety: none; one bucket per KubeClient, used by its one thread.
#pragma once

#include <chrono>
#include <cstdint>

#include "core/base/clock.h"

namespace cairn::kube {

class TokenBucket {
 public:
  // qps > 0 and burst >= 1 (KubeClient::Create checks); starts full.
  TokenBucket(const Clock& clock, double qps, int burst);

  // Takes one token; returns how long to wait before using it (zero when
  // one was available).
  std::chrono::nanoseconds Reserve();

  // Tokens available now (negative when waits are owed); for tests.
  double available() const;

 private:
  const Clock& clock_;
  std::int64_t interval_nanos_;   // 1/qps
  std::int64_t tolerance_nanos_;  // (burst - 1) intervals may be taken early
  std::int64_t burst_;
  // When the bucket would be full again if nothing more were taken; a
  // request may go at tat_ - tolerance_ at the earliest.
  std::int64_t tat_nanos_;
};

}  // namespace cairn::kube
