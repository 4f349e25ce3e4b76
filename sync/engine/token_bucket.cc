#include "sync/engine/token_bucket.h"

#include <algorithm>
#include <chrono>

namespace cairn {
namespace {

std::int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

TokenBucket::TokenBucket(std::uint64_t rate, std::uint64_t burst)
    : rate_(static_cast<double>(rate)),
      burst_(static_cast<double>(burst)),
      tokens_(static_cast<double>(burst)),
      last_ns_(SteadyNanos()) {}

void TokenBucket::SetRate(std::uint64_t rate, std::uint64_t burst) {
  std::lock_guard lock(mu_);
  rate_ = static_cast<double>(rate);
  burst_ = static_cast<double>(burst);
  tokens_ = std::min(tokens_, burst_);
  cv_.notify_all();
}

void TokenBucket::Interrupt() {
  std::lock_guard lock(mu_);
  cv_.notify_all();
}

Status TokenBucket::Acquire(std::uint64_t bytes, const std::atomic<bool>& stop) {
  std::unique_lock lock(mu_);
  if (rate_ <= 0) return Status::Ok();
  auto refill = [&] {
    const std::int64_t now = SteadyNanos();
    tokens_ = std::min(burst_, tokens_ + rate_ * static_cast<double>(now - last_ns_) / 1e9);
    last_ns_ = now;
  };
  refill();
  tokens_ -= static_cast<double>(bytes);
  while (tokens_ < 0) {
    if (stop.load()) return Status::Cancelled("replication stopped");
    const auto wait = std::chrono::nanoseconds(static_cast<std::int64_t>(-tokens_ / rate_ * 1e9) + 1);
    cv_.wait_for(lock, std::min<std::chrono::nanoseconds>(wait, std::chrono::milliseconds(200)));
    if (rate_ <= 0) return Status::Ok();
    refill();
  }
  return Status::Ok();
}

}  // namespace cairn
