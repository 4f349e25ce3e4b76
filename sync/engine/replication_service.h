// ReplicationService: replication as a long-running service of the
// appliance -- one worker thread per target that is its WAN monitor and its
// replicator:
//
//   loop: outside the time window -> wait for it
//         probe the target (bounded) -> state up / degraded / down, with
//           every change recorded in the catalog (history) and the log
//         down -> back off (1 s doubling to 5 min, jittered), probe again
//         up and something pending -> one replication pass
//         idle -> wait probe_interval or until a snapshot is committed
//
// A target that stays down only grows its queue: backups never wait for it
// (except a synchronous target, and then only until it is found down), and
// other targets have their own threads.
//
// RPO (per target): the age of the newest local snapshot the target does
// not hold yet, 0 when it holds them all; `rpo_alert` once it passes the
// target's budget (ARCHITECTURE.md, issue 5).
//
// Thread-safety: every public method may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/base/clock.h"
#include "sync/engine/local_store.h"
#include "sync/engine/replication_catalog.h"
#include "sync/engine/target_replicator.h"

namespace cairn {

struct TargetStatus {
  TargetSpec spec;
  TargetState state = TargetState::kUnknown;
  std::int64_t state_since_unix_ns = 0;
  std::string activity;    // "idle", "replicating", "outside window", "backing off 30 s", ...
  std::string last_error;  // "" after a clean pass
  std::int64_t last_probe_unix_ns = 0;
  std::int64_t probe_latency_ms = 0;
  bool supports_locks = false;
  std::int64_t last_success_unix_ns = 0;  // last pass that left nothing pending
  std::uint64_t queue_snapshots = 0;
  // Held snapshots whose lock was extended since (pending work "lock"); not
  // part of the RPO, which counts snapshots the target lacks.
  std::uint64_t queue_locks = 0;
  std::uint64_t queue_bytes = 0;  // sealed bytes still to send (estimate)
  double throughput_bytes_per_s = 0;  // of the current or last pass
  std::uint64_t bytes_sent_total = 0;
  std::uint64_t chunks_sent_total = 0;
  std::uint64_t snapshots_replicated_total = 0;
  std::uint64_t upload_failures_total = 0;
  std::int64_t rpo_seconds = 0;
  bool rpo_alert = false;
  std::optional<std::int64_t> newest_replicated_created_unix_ns;
};

// What a synchronous target did for one committed snapshot.
struct SyncOutcome {
  std::string target;
  bool replicated = false;
  std::string detail;  // "replicated", or why it fell back to asynchronous
};

struct ReplicationServiceOptions {
  std::chrono::milliseconds min_backoff{1000};
  std::chrono::milliseconds max_backoff{300'000};
  // A probe slower than this marks the target degraded (it answers, slowly).
  std::chrono::milliseconds degraded_latency{2000};
};

class ReplicationService {
 public:
  ReplicationService(LocalStore local, ReplicationCatalog& catalog, TargetFactory factory,
                     Clock& clock = DefaultClock(), ReplicationServiceOptions options = {});
  ~ReplicationService();  // Stop()

  // Starts a worker for every target in the catalog.
  Status Start();
  // Stops every worker (in-flight uploads are abandoned, their chunks are
  // sent again next time). Idempotent.
  void Stop();

  Status AddTarget(const TargetSpec& spec);
  Status RemoveTarget(const std::string& name);

  // A snapshot was committed: idle workers look at it now.
  void NotifySnapshotCommitted();
  // Every target's status, by name.
  std::vector<TargetStatus> Statuses();
  Result<TargetStatus> StatusOf(const std::string& name);
  Result<std::vector<TargetEvent>> History(const std::string& name, int limit);

  // For each synchronous target: waits (at most `timeout`) until it holds
  // `snapshot_id`; a target found down, or that does not make it in time,
  // falls back to asynchronous and says so.
  std::vector<SyncOutcome> WaitForSynchronousTargets(const std::string& snapshot_id,
                                                     std::chrono::milliseconds timeout);

 private:
  struct Worker;
  void Run(Worker& w);
  void Refresh(Worker& w);       // queue figures (snapshots, bytes) and RPO; worker thread
  void RefreshQueue(Worker& w);  // the snapshot count and RPO only; any thread
  void ApplyQueue(Worker& w, const TargetReplicator::Queue& queue);
  Status StartWorker(const TargetSpec& spec);

  LocalStore local_;
  ReplicationCatalog& catalog_;
  TargetFactory factory_;
  Clock& clock_;
  ReplicationServiceOptions options_;
  std::mutex mu_;  // guards workers_ and every Worker's status fields
  std::condition_variable changed_;  // any status change (synchronous waits)
  // shared_ptr: a commit refreshes queue figures outside mu_ while a
  // RemoveTarget may drop the worker from the map.
  std::map<std::string, std::shared_ptr<Worker>> workers_;
};

}  // namespace cairn
