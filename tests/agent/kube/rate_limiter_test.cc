// TokenBucket with a FakeClock: a full bucket lets `burst` requests through
// at once, then each waits 1/qps after the one before; idle time refills the
// bucket, never beyond burst.
#include <catch2/catch.hpp>

#include "agent/kube/rate_limiter.h"

namespace cairn::kube {
namespace {

using namespace std::chrono_literals;

TEST_CASE("TokenBucket: burst at once, then spaced at qps, refilled by idle time", "[unit]") {
  FakeClock clock;
  TokenBucket bucket(clock, /*qps=*/4, /*burst=*/3);
  for (int i = 0; i < 3; ++i) CHECK(bucket.Reserve() == 0ns);
  // Without sleeping, the waits owed add up: 250 ms, 500 ms, 750 ms.
  CHECK(bucket.Reserve() == 250ms);
  CHECK(bucket.Reserve() == 500ms);
  CHECK(bucket.Reserve() == 750ms);
  clock.Advance(std::chrono::nanoseconds(750ms).count());
  CHECK(bucket.available() == Approx(0.0).margin(1e-9));

  // A caller that sleeps as told is spaced exactly 1/qps apart.
  for (int i = 0; i < 5; ++i) {
    auto wait = bucket.Reserve();
    CHECK(wait == 250ms);
    clock.Advance(wait.count());
  }
  // An idle minute refills to burst, not beyond.
  clock.Advance(std::chrono::nanoseconds(60s).count());
  CHECK(bucket.available() == Approx(3.0));
  for (int i = 0; i < 3; ++i) CHECK(bucket.Reserve() == 0ns);
  CHECK(bucket.Reserve() > 0ns);
}

TEST_CASE("TokenBucket: a fractional qps spaces requests seconds apart", "[unit]") {
  FakeClock clock;
  TokenBucket bucket(clock, /*qps=*/0.5, /*burst=*/1);
  CHECK(bucket.Reserve() == 0ns);
  CHECK(bucket.Reserve() == 2s);
}

}  // namespace
}  // namespace cairn::kube
