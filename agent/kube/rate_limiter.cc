#include "agent/kube/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace cairn::kube {

TokenBucket::TokenBucket(const Clock& clock, double qps, int burst)
    : clock_(clock),
      interval_nanos_(std::max<std::int64_t>(1, std::llround(1e9 / qps))),
      tolerance_nanos_(static_cast<std::int64_t>(std::max(burst, 1) - 1) * interval_nanos_),
      burst_(std::max(burst, 1)),
      tat_nanos_(clock.MonotonicNanos()) {}

std::chrono::nanoseconds TokenBucket::Reserve() {
  const std::int64_t now = clock_.MonotonicNanos();
  const std::int64_t at = std::max(now, tat_nanos_ - tolerance_nanos_);
  tat_nanos_ = std::max(tat_nanos_, now) + interval_nanos_;
  return std::chrono::nanoseconds(at - now);
}

double TokenBucket::available() const {
  const std::int64_t now = clock_.MonotonicNanos();
  const std::int64_t owed = std::max(tat_nanos_, now) - now;
  return static_cast<double>(burst_) - static_cast<double>(owed) / static_cast<double>(interval_nanos_);
}

}  // namespace cairn::kube
