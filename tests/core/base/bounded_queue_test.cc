#include "core/base/bounded_queue.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

namespace cairn {
namespace {

using namespace std::chrono_literals;

// Long enough that a correct implementation never hits it, short enough that
// a deadlock fails the test instead of hanging CI.
constexpr auto kDeadline = 20s;
// How long we watch a call that must stay blocked. A correct queue passes
// regardless of scheduling; a broken one fails with high probability.
constexpr auto kStaysBlocked = 50ms;

TEST_CASE("BoundedQueue: items come out in the order they went in", "[unit]") {
  BoundedQueue<int> q(3);
  CHECK(q.capacity() == 3);
  REQUIRE(q.Push(1));
  REQUIRE(q.Push(2));
  REQUIRE(q.Push(3));
  CHECK(q.size() == 3);
  CHECK(q.Pop() == 1);
  REQUIRE(q.Push(4));
  CHECK(q.Pop() == 2);
  CHECK(q.Pop() == 3);
  CHECK(q.Pop() == 4);
  CHECK(q.size() == 0);
}

TEST_CASE("BoundedQueue: move-only items pass through", "[unit]") {
  BoundedQueue<std::unique_ptr<int>> q(1);
  REQUIRE(q.Push(std::make_unique<int>(7)));
  std::optional<std::unique_ptr<int>> got = q.Pop();
  REQUIRE(got.has_value());
  REQUIRE(*got != nullptr);
  CHECK(**got == 7);
}

TEST_CASE("BoundedQueue: a push into a full queue waits until a pop makes room", "[unit]") {
  BoundedQueue<int> q(2);
  REQUIRE(q.Push(1));
  REQUIRE(q.Push(2));
  auto pushed = std::async(std::launch::async, [&q] { return q.Push(3); });
  CHECK(pushed.wait_for(kStaysBlocked) == std::future_status::timeout);
  CHECK(q.size() == 2);
  CHECK(q.Pop() == 1);
  REQUIRE(pushed.wait_for(kDeadline) == std::future_status::ready);
  CHECK(pushed.get());
  CHECK(q.Pop() == 2);
  CHECK(q.Pop() == 3);
  CHECK(q.TEST_HighWater() == 2);
}

TEST_CASE("BoundedQueue: a pop from an empty queue waits until a push", "[unit]") {
  BoundedQueue<int> q(2);
  auto popped = std::async(std::launch::async, [&q] { return q.Pop(); });
  CHECK(popped.wait_for(kStaysBlocked) == std::future_status::timeout);
  REQUIRE(q.Push(42));
  REQUIRE(popped.wait_for(kDeadline) == std::future_status::ready);
  CHECK(popped.get() == 42);
}

TEST_CASE("BoundedQueue: after close, pops drain what is queued and then return nothing",
          "[unit]") {
  BoundedQueue<int> q(4);
  REQUIRE(q.Push(1));
  REQUIRE(q.Push(2));
  q.Close();
  q.Close();  // idempotent
  CHECK(q.closed());
  CHECK_FALSE(q.Push(3));
  CHECK(q.Pop() == 1);
  CHECK(q.Pop() == 2);
  CHECK(q.Pop() == std::nullopt);
  CHECK(q.Pop() == std::nullopt);
}

TEST_CASE("BoundedQueue: close wakes every blocked producer and consumer", "[unit]") {
  SECTION("blocked producers return false and their items are dropped") {
    BoundedQueue<int> q(1);
    REQUIRE(q.Push(0));
    std::vector<std::future<bool>> producers;
    for (int i = 1; i <= 3; ++i) {
      producers.push_back(std::async(std::launch::async, [&q, i] { return q.Push(i); }));
    }
    for (auto& p : producers) CHECK(p.wait_for(kStaysBlocked) == std::future_status::timeout);
    q.Close();
    for (auto& p : producers) {
      REQUIRE(p.wait_for(kDeadline) == std::future_status::ready);
      CHECK_FALSE(p.get());
    }
    CHECK(q.Pop() == 0);
    CHECK(q.Pop() == std::nullopt);
  }
  SECTION("blocked consumers return nullopt") {
    BoundedQueue<int> q(1);
    std::vector<std::future<std::optional<int>>> consumers;
    for (int i = 0; i < 3; ++i) {
      consumers.push_back(std::async(std::launch::async, [&q] { return q.Pop(); }));
    }
    for (auto& c : consumers) CHECK(c.wait_for(kStaysBlocked) == std::future_status::timeout);
    q.Close();
    for (auto& c : consumers) {
      REQUIRE(c.wait_for(kDeadline) == std::future_status::ready);
      CHECK(c.get() == std::nullopt);
    }
  }
}

TEST_CASE(
    "BoundedQueue: many producers and consumers deliver every item exactly once, in "
    "per-producer order, never holding more than the capacity",
    "[unit]") {
  constexpr int kProducers = 4;
  constexpr int kConsumers = 3;
  constexpr int kItemsPerProducer = 20000;
  constexpr std::size_t kCapacity = 8;
  BoundedQueue<std::pair<int, int>> q(kCapacity);  // (producer, sequence number)

  std::atomic<bool> order_ok{true};
  std::vector<std::future<void>> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.push_back(std::async(std::launch::async, [&q, p] {
      for (int i = 0; i < kItemsPerProducer; ++i) {
        if (!q.Push({p, i})) return;  // closed by the watchdog below
      }
    }));
  }
  // Each consumer counts what it received per producer and checks that each
  // producer's items arrive in increasing order (FIFO per producer).
  std::vector<std::future<std::vector<int>>> consumers;
  for (int c = 0; c < kConsumers; ++c) {
    consumers.push_back(std::async(std::launch::async, [&q, &order_ok] {
      std::vector<int> count(kProducers, 0);
      std::vector<int> last(kProducers, -1);
      while (std::optional<std::pair<int, int>> item = q.Pop()) {
        auto [p, i] = *item;
        if (i <= last[p]) order_ok = false;
        last[p] = i;
        ++count[p];
      }
      return count;
    }));
  }

  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  bool finished_in_time = true;
  for (auto& p : producers) {
    if (p.wait_until(deadline) != std::future_status::ready) finished_in_time = false;
  }
  q.Close();  // normal end of stream; also unblocks everyone after a timeout
  std::vector<int> total(kProducers, 0);
  for (auto& c : consumers) {
    std::vector<int> count = c.get();
    for (int p = 0; p < kProducers; ++p) total[p] += count[p];
  }
  REQUIRE(finished_in_time);
  CHECK(order_ok);
  for (int p = 0; p < kProducers; ++p) CHECK(total[p] == kItemsPerProducer);
  CHECK(q.TEST_HighWater() <= kCapacity);
  CHECK(q.TEST_HighWater() >= 1);
  CHECK(q.size() == 0);
}

}  // namespace
}  // namespace cairn
