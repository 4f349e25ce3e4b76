// StoreLock: shared holders coexist, an exclusive holder excludes everyone,
// and a refusal names who holds the lock.
#include "core/store/store_lock.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "tests/support/temp_dir.h"

namespace cairn {
namespace {

TEST_CASE("StoreLock: shared holders coexist and keep an exclusive one out until they all leave",
          "[unit][store]") {
  TempDir dir;
  auto a = StoreLock::TryAcquire(dir.path(), StoreLockMode::kShared);
  REQUIRE(a.ok());
  auto b = StoreLock::TryAcquire(dir.path(), StoreLockMode::kShared);
  REQUIRE(b.ok());
  auto refused = StoreLock::TryAcquire(dir.path(), StoreLockMode::kExclusive);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().retryable());
  CHECK(refused.error().message().find("pid " + std::to_string(::getpid())) != std::string::npos);
  CHECK(refused.error().message().find("shared") != std::string::npos);
  { StoreLock gone = std::move(*a); }
  CHECK_FALSE(StoreLock::TryAcquire(dir.path(), StoreLockMode::kExclusive).ok());
  { StoreLock gone = std::move(*b); }
  auto exclusive = StoreLock::TryAcquire(dir.path(), StoreLockMode::kExclusive);
  REQUIRE(exclusive.ok());
  CHECK_FALSE(StoreLock::TryAcquire(dir.path(), StoreLockMode::kShared).ok());
  CHECK(StoreLock::Holders(dir.path()).size() == 1);
}

TEST_CASE("StoreLock: a blocking acquire waits for the exclusive holder to leave",
          "[unit][store]") {
  TempDir dir;
  auto exclusive = StoreLock::TryAcquire(dir.path(), StoreLockMode::kExclusive);
  REQUIRE(exclusive.ok());
  std::atomic<bool> acquired{false};
  std::thread waiter([&] {
    auto shared = StoreLock::Acquire(dir.path(), StoreLockMode::kShared);
    acquired = shared.ok();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK_FALSE(acquired.load());
  { StoreLock gone = std::move(*exclusive); }
  waiter.join();
  CHECK(acquired.load());
}

TEST_CASE("StoreLock: a store folder that does not exist is NotFound, not created",
          "[unit][store]") {
  TempDir dir;
  auto lock = StoreLock::TryAcquire(dir.path() / "nope", StoreLockMode::kShared);
  REQUIRE_FALSE(lock.ok());
  CHECK(lock.error().IsNotFound());
  CHECK_FALSE(std::filesystem::exists(dir.path() / "nope"));
}

}  // namespace
}  // namespace cairn
