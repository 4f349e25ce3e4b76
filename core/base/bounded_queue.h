// BoundedQueue<T>: a blocking multi-producer multi-consumer FIFO of fixed
// capacity.
//
// Why: the parallel backup pipeline (read -> chunk -> hash -> compress ->
// encrypt -> store) connects its stages with these queues. A fixed capacity is
// what bounds the pipeline's memory: a fast reader blocks in Push() instead of
// buffering a whole backup ahead of a slow disk (chunks are up to 8 MiB, so a
// queue of capacity N holds at most N chunks' worth).
//
// Shutdown: Close() is the one way to end a pipeline, normally or on error.
// After Close(), Push() refuses new items (returns false, the item is dropped)
// and wakes every blocked producer; Pop() keeps returning queued items until
// the queue is drained and then returns nullopt to every consumer. A producer
// that sees false should stop; a consumer that sees nullopt is done.
//
// Thread-safety: every member may be called from any thread concurrently. The
// queue is neither copyable nor movable (threads hold references to it).
// T needs only to be move-constructible.
#pragma once

#include <algorithm>
#include <cassert>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>

namespace cairn {

template <class T>
class BoundedQueue {
 public:
  // Precondition: capacity > 0 (asserted).
  explicit BoundedQueue(std::size_t capacity) : capacity_(capacity) { assert(capacity > 0); }

  BoundedQueue(const BoundedQueue&) = delete;
  BoundedQueue& operator=(const BoundedQueue&) = delete;

  // Blocks while the queue is full. Returns true once `item` is queued, false
  // (dropping `item`) if the queue is or becomes closed while waiting.
  [[nodiscard]] bool Push(T item) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [this] { return closed_ || items_.size() < capacity_; });
    if (closed_) return false;
    items_.push_back(std::move(item));
    high_water_ = std::max(high_water_, items_.size());
    lock.unlock();
    not_empty_.notify_one();
    return true;
  }

  // Blocks while the queue is empty and open. Returns the oldest item, or
  // nullopt once the queue is closed and drained.
  std::optional<T> Pop() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [this] { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;  // closed and drained
    std::optional<T> item(std::move(items_.front()));
    items_.pop_front();
    lock.unlock();
    not_full_.notify_one();
    return item;
  }

  // Idempotent. Wakes all blocked producers and consumers.
  void Close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    not_full_.notify_all();
    not_empty_.notify_all();
  }

  std::size_t capacity() const { return capacity_; }
  // A snapshot; may be stale by the time the caller looks at it.
  std::size_t size() const {
    std::lock_guard lock(mu_);
    return items_.size();
  }
  bool closed() const {
    std::lock_guard lock(mu_);
    return closed_;
  }

  // The largest number of items ever held at once; lets tests check the bound.
  std::size_t TEST_HighWater() const {
    std::lock_guard lock(mu_);
    return high_water_;
  }

 private:
  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable not_full_;   // signalled when an item leaves or on Close
  std::condition_variable not_empty_;  // signalled when an item arrives or on Close
  std::deque<T> items_;                // guarded by mu_; size() <= capacity_
  std::size_t high_water_ = 0;         // guarded by mu_
  bool closed_ = false;                // guarded by mu_
};

}  // namespace cairn
