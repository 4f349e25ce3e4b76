#include <catch2/catch.hpp>

#include <thread>

#include "sync/engine/replication_service.h"
#include "tests/sync/engine/replication_test_util.h"

namespace cairn {
namespace {

ReplicationServiceOptions Fast() {
  ReplicationServiceOptions o;
  o.min_backoff = std::chrono::milliseconds(20);
  o.max_backoff = std::chrono::milliseconds(100);
  return o;
}

// Polls `fn` for up to 20 s (bounded, as every loop in these tests).
template <typename Fn>
bool Eventually(Fn fn) {
  for (int i = 0; i < 400; ++i) {
    if (fn()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST_CASE("ReplicationService: a target that is down queues, then drains when it comes back, with history",
          "[integration]") {
  ReplicationFixture f;
  f.BackupFiles("web", 2, 300'000, 1);
  f.log.down_for_probe = true;
  ReplicationService service(UnsharedLocalStore(*f.store), *f.catalog, f.Factory(), DefaultClock(), Fast());
  REQUIRE(service.AddTarget(f.Spec()).ok());
  REQUIRE(Eventually([&] { return service.StatusOf("dr")->state == TargetState::kDown; }));
  auto down = service.StatusOf("dr");
  REQUIRE(down.ok());
  CHECK(down->last_error.find("link down") != std::string::npos);
  REQUIRE(Eventually([&] { return service.StatusOf("dr")->queue_snapshots == 1; }));
  CHECK(service.StatusOf("dr")->queue_bytes > 600'000);
  CHECK(f.log.total == 0);  // nothing was sent while it was down

  f.log.down_for_probe = false;  // the link is back
  REQUIRE(Eventually([&] { return service.StatusOf("dr")->queue_snapshots == 0; }));
  auto up = service.StatusOf("dr");
  CHECK(up->state == TargetState::kUp);
  CHECK(up->snapshots_replicated_total == 1);
  CHECK(up->rpo_seconds == 0);
  auto history = service.History("dr", 10);
  REQUIRE(history.ok());
  REQUIRE(history->size() >= 2);
  CHECK((*history)[0].state == TargetState::kUp);  // newest first
  CHECK((*history)[1].state == TargetState::kDown);

  // A new snapshot wakes the idle worker at once (probe interval is 30 s).
  f.BackupFiles("web", 1, 1000, 2);
  service.NotifySnapshotCommitted();
  REQUIRE(Eventually([&] { return service.StatusOf("dr")->snapshots_replicated_total == 2; }));
  service.Stop();
}

TEST_CASE("ReplicationService: RPO is the age of the newest snapshot not on the target, alerting past budget",
          "[integration]") {
  FakeClock clock;
  ReplicationFixture f(clock);
  f.log.down_for_probe = true;
  f.BackupFiles("web", 1, 1000, 1, clock);
  clock.Advance(600'000'000'000);  // 10 min later
  TargetSpec spec = f.Spec();
  spec.policy.rpo_budget = std::chrono::seconds(3600);
  ReplicationService service(UnsharedLocalStore(*f.store), *f.catalog, f.Factory(), clock, Fast());
  REQUIRE(service.AddTarget(spec).ok());
  REQUIRE(Eventually([&] { return service.StatusOf("dr")->queue_snapshots == 1; }));
  CHECK(service.StatusOf("dr")->rpo_seconds == 600);
  CHECK_FALSE(service.StatusOf("dr")->rpo_alert);
  clock.Advance(3'600'000'000'000);
  CHECK(service.StatusOf("dr")->rpo_seconds == 4200);
  CHECK(service.StatusOf("dr")->rpo_alert);
  service.Stop();
}

TEST_CASE("ReplicationService: a synchronous target confirms a snapshot, or falls back when down",
          "[integration]") {
  ReplicationFixture f;
  TargetSpec spec = f.Spec();
  spec.policy.synchronous = true;
  ReplicationService service(UnsharedLocalStore(*f.store), *f.catalog, f.Factory(), DefaultClock(), Fast());
  REQUIRE(service.AddTarget(spec).ok());
  REQUIRE(Eventually([&] { return service.StatusOf("dr")->state == TargetState::kUp; }));

  const std::string id = f.BackupFiles("web", 1, 200'000, 1);
  auto outcome = service.WaitForSynchronousTargets(id, std::chrono::seconds(20));
  REQUIRE(outcome.size() == 1);
  CHECK(outcome[0].replicated);
  CHECK(fs::exists(f.replica / "snapshots" / "web" / id));

  f.log.down_for_probe = true;
  f.log.fail_after = f.log.total.load();  // and the link is cut
  const std::string id2 = f.BackupFiles("web", 1, 200'000, 2);
  auto fallback = service.WaitForSynchronousTargets(id2, std::chrono::seconds(20));
  REQUIRE(fallback.size() == 1);
  CHECK_FALSE(fallback[0].replicated);
  CHECK(fallback[0].detail.find("asynchronous") != std::string::npos);
  service.Stop();
}

TEST_CASE(
    "ReplicationService: a lock extended on a replicated snapshot is pending work until the "
    "target's copy carries it, and it is not part of the RPO",
    "[integration]") {
  ReplicationFixture f;
  const std::string id = f.BackupFiles("web", 1, 200'000, 1);
  ReplicationService service(UnsharedLocalStore(*f.store), *f.catalog, f.Factory(), DefaultClock(), Fast());
  TargetSpec spec = f.S3Spec();
  spec.policy.probe_interval = std::chrono::seconds(1);
  REQUIRE(service.AddTarget(spec).ok());
  REQUIRE(Eventually([&] { return service.StatusOf("dr")->snapshots_replicated_total == 1; }));

  f.log.down_for_probe = true;
  REQUIRE(Eventually([&] { return service.StatusOf("dr")->state == TargetState::kDown; }));
  const std::int64_t until = DefaultClock().NowUnixNanos() + 86'400'000'000'000;
  f.LockSnapshot(id, until);
  REQUIRE(Eventually([&] { return service.StatusOf("dr")->queue_locks == 1; }));
  auto waiting = service.StatusOf("dr");
  CHECK(waiting->queue_snapshots == 0);
  CHECK(waiting->rpo_seconds == 0);

  f.log.down_for_probe = false;
  REQUIRE(Eventually([&] { return service.StatusOf("dr")->queue_locks == 0; }));
  auto held = f.catalog->ReplicatedSnapshots("dr");
  REQUIRE(held.ok());
  REQUIRE(held->size() == 1);
  CHECK((*held)[0].lock_until_unix_ns == until);
  service.Stop();
  std::lock_guard lock(f.log.mu);
  CHECK(f.log.puts.at(f.ManifestKeyOf(id)) == 2);  // the rewritten manifest went up
}

}  // namespace
}  // namespace cairn
