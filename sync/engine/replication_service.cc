#include "sync/engine/replication_service.h"

#include <algorithm>
#include <random>

#include "core/base/log.h"

namespace cairn {

struct ReplicationService::Worker {
  TargetSpec spec;
  std::unique_ptr<TargetReplicator> replicator;
  std::unique_ptr<ReplicaTarget> probe_target;  // the monitor's own connection
  std::thread thread;
  std::atomic<bool> stop{false};
  // Guarded by the service's mu_:
  std::condition_variable wake;
  bool woken = false;
  TargetStatus status;
  std::optional<std::int64_t> newest_pending_created_unix_ns;
};

namespace {

std::chrono::milliseconds Jittered(std::chrono::milliseconds d) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> f(0.8, 1.2);
  return std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(d.count()) * f(rng)));
}

}  // namespace

ReplicationService::ReplicationService(LocalStore local, ReplicationCatalog& catalog,
                                       TargetFactory factory, Clock& clock,
                                       ReplicationServiceOptions options)
    : local_(std::move(local)),
      catalog_(catalog),
      factory_(std::move(factory)),
      clock_(clock),
      options_(options) {}

ReplicationService::~ReplicationService() { Stop(); }

Status ReplicationService::Start() {
  CAIRN_ASSIGN_OR_RETURN(auto targets, catalog_.ListTargets());
  for (const TargetSpec& spec : targets) CAIRN_RETURN_IF_ERROR(StartWorker(spec));
  return Status::Ok();
}

Status ReplicationService::StartWorker(const TargetSpec& spec) {
  auto w = std::make_shared<Worker>();
  w->spec = spec;
  w->status.spec = spec;
  w->status.activity = "starting";
  w->replicator = std::make_unique<TargetReplicator>(spec, local_, catalog_, factory_, clock_);
  Worker& ref = *w;
  {
    std::lock_guard lock(mu_);
    if (workers_.contains(spec.name)) return Status::AlreadyExists("target " + spec.name + " is running");
    workers_[spec.name] = std::move(w);
  }
  ref.thread = std::thread([this, &ref] { Run(ref); });
  return Status::Ok();
}

void ReplicationService::Stop() {
  std::map<std::string, std::shared_ptr<Worker>> workers;
  {
    std::lock_guard lock(mu_);
    workers.swap(workers_);
    for (auto& [name, w] : workers) {
      w->stop = true;
      w->wake.notify_all();
    }
  }
  for (auto& [name, w] : workers) {
    w->replicator->Interrupt();
    if (w->thread.joinable()) w->thread.join();
  }
  changed_.notify_all();
}

Status ReplicationService::AddTarget(const TargetSpec& spec) {
  CAIRN_RETURN_IF_ERROR(catalog_.AddTarget(spec));
  return StartWorker(spec);
}

Status ReplicationService::RemoveTarget(const std::string& name) {
  std::shared_ptr<Worker> w;
  {
    std::lock_guard lock(mu_);
    auto it = workers_.find(name);
    if (it != workers_.end()) {
      w = std::move(it->second);
      workers_.erase(it);
      w->stop = true;
      w->wake.notify_all();
    }
  }
  if (w) {
    w->replicator->Interrupt();
    if (w->thread.joinable()) w->thread.join();
  }
  return catalog_.RemoveTarget(name);
}

void ReplicationService::NotifySnapshotCommitted() {
  std::vector<std::shared_ptr<Worker>> workers;
  {
    std::lock_guard lock(mu_);
    for (auto& [name, w] : workers_) {
      w->woken = true;
      w->wake.notify_all();
      workers.push_back(w);
    }
  }
  // The queue and RPO show the new snapshot at once, even while a worker is
  // held in a probe or an upload to a target that went silent (up to its
  // network timeout); the bytes figure follows on the worker's next refresh.
  for (const auto& w : workers) RefreshQueue(*w);
}

void ReplicationService::ApplyQueue(Worker& w, const TargetReplicator::Queue& queue) {
  std::optional<std::int64_t> newest_pending;
  for (const SnapshotRecord& r : queue.pending) {
    newest_pending = std::max(newest_pending.value_or(r.created_unix_ns), r.created_unix_ns);
  }
  std::lock_guard lock(mu_);
  w.status.queue_snapshots = queue.pending.size();
  w.status.queue_locks = queue.locks.size();
  w.newest_pending_created_unix_ns = newest_pending;
  w.status.newest_replicated_created_unix_ns = queue.newest_replicated_created_unix_ns;
}

void ReplicationService::RefreshQueue(Worker& w) {
  auto queue = w.replicator->ReadQueue();
  if (queue.ok()) ApplyQueue(w, *queue);
}

void ReplicationService::Refresh(Worker& w) {
  auto queue = w.replicator->ReadQueue();
  if (!queue.ok()) return;  // figures stay as they were; the pass reports errors
  auto bytes = w.replicator->PendingBytes(queue->pending);
  ApplyQueue(w, *queue);
  if (bytes.ok()) {
    std::lock_guard lock(mu_);
    w.status.queue_bytes = *bytes;
  }
}

void ReplicationService::Run(Worker& w) {
  auto backoff = options_.min_backoff;
  auto set = [&](auto&& fn) {
    std::lock_guard lock(mu_);
    fn(w.status);
    changed_.notify_all();
  };
  auto set_state = [&](TargetState state, const std::string& detail) {
    bool changed = false;
    set([&](TargetStatus& s) {
      changed = s.state != state;
      if (changed) {
        s.state = state;
        s.state_since_unix_ns = clock_.NowUnixNanos();
      }
    });
    if (changed) {
      catalog_.RecordEvent(w.spec.name, state, detail).IgnoreError();  // history is a figure
      Log(state == TargetState::kUp ? LogLevel::kInfo : LogLevel::kWarn, "replication.target_state",
          {{"target", w.spec.name}, {"state", std::string(TargetStateName(state))}, {"detail", detail}});
    }
  };
  // Waits `d`, or less when stopped (or, if wake_on_notify, on a new snapshot).
  auto wait = [&](std::chrono::milliseconds d, bool wake_on_notify) {
    std::unique_lock lock(mu_);
    w.wake.wait_for(lock, d, [&] { return w.stop.load() || (wake_on_notify && w.woken); });
    w.woken = false;
  };
  auto back_off = [&](const std::string& error) {
    const auto d = Jittered(backoff);
    set([&](TargetStatus& s) {
      s.last_error = error;
      s.activity = "backing off " + std::to_string(d.count() / 1000) + " s";
    });
    Refresh(w);
    // A snapshot committed meanwhile does not cut the backoff short (a down
    // target is not hammered), but it shows in the queue and the RPO at once.
    const auto until = std::chrono::steady_clock::now() + d;
    while (!w.stop.load() && std::chrono::steady_clock::now() < until) {
      wait(std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()),
           true);
      if (!w.stop.load()) Refresh(w);
    }
    backoff = std::min(backoff * 2, options_.max_backoff);
  };

  while (!w.stop.load()) {
    if (!InReplicationWindow(w.spec.policy, clock_.NowUnixNanos())) {
      set([](TargetStatus& s) { s.activity = "outside the replication window"; });
      Refresh(w);
      wait(std::chrono::seconds(30), false);
      continue;
    }
    set([](TargetStatus& s) { s.activity = "probing"; });
    const std::int64_t t0 = clock_.MonotonicNanos();
    Result<ProbeResult> probe = Status::Unavailable("not probed");
    if (!w.probe_target) {
      auto opened = factory_(w.spec);
      if (opened.ok()) {
        w.probe_target = std::move(*opened);
      } else {
        probe = opened.error();
      }
    }
    if (w.probe_target) probe = w.probe_target->Probe();
    const std::int64_t latency_ms = (clock_.MonotonicNanos() - t0) / 1'000'000;
    set([&](TargetStatus& s) {
      s.last_probe_unix_ns = clock_.NowUnixNanos();
      s.probe_latency_ms = latency_ms;
    });
    if (!probe.ok()) {
      set_state(TargetState::kDown, probe.error().message());
      back_off(probe.error().message());
      continue;
    }
    set_state(latency_ms > options_.degraded_latency.count() ? TargetState::kDegraded : TargetState::kUp,
              probe->detail + " (" + std::to_string(latency_ms) + " ms)");
    set([&](TargetStatus& s) { s.supports_locks = probe->supports_locks; });
    Refresh(w);
    bool idle;
    {
      std::lock_guard lock(mu_);
      idle = w.status.queue_snapshots == 0 && w.status.queue_locks == 0;
    }
    if (idle) {
      set([&](TargetStatus& s) {
        s.activity = "idle";
        s.last_error.clear();
        if (s.last_success_unix_ns == 0) s.last_success_unix_ns = clock_.NowUnixNanos();
      });
      backoff = options_.min_backoff;
      wait(w.spec.policy.probe_interval, true);
      continue;
    }
    set([](TargetStatus& s) { s.activity = "replicating"; });
    auto pass = w.replicator->RunPass(probe->supports_locks, w.stop);
    if (!pass.ok()) {
      const Status& e = pass.error();
      // A retryable failure mid-pass is the link going away: the target is
      // down until a probe says otherwise. Anything else (refused
      // credentials, a damaged local chunk) leaves it reachable but failing.
      set_state(e.retryable() ? TargetState::kDown : TargetState::kDegraded, e.message());
      Log(LogLevel::kWarn, "replication.pass_failed", {{"target", w.spec.name}, {"error", e.message()}});
      back_off(e.message());
      continue;
    }
    backoff = options_.min_backoff;
    set([&](TargetStatus& s) {
      s.last_error.clear();
      if (pass->complete) s.last_success_unix_ns = clock_.NowUnixNanos();
      if (!pass->stopped_early.empty()) s.activity = pass->stopped_early;
    });
    Refresh(w);
  }
  set([](TargetStatus& s) { s.activity = "stopped"; });
}

std::vector<TargetStatus> ReplicationService::Statuses() {
  std::lock_guard lock(mu_);
  std::vector<TargetStatus> out;
  const std::int64_t now = clock_.NowUnixNanos();
  for (auto& [name, w] : workers_) {
    TargetStatus s = w->status;
    ReplicationProgress& p = w->replicator->progress();
    s.bytes_sent_total = p.bytes_sent;
    s.chunks_sent_total = p.chunks_sent;
    s.snapshots_replicated_total = p.snapshots_replicated;
    s.upload_failures_total = p.upload_failures;
    const std::int64_t elapsed = clock_.MonotonicNanos() - p.pass_started_mono_ns;
    if (p.pass_started_mono_ns != 0 && elapsed > 0) {
      s.throughput_bytes_per_s = static_cast<double>(p.pass_bytes_sent) * 1e9 / static_cast<double>(elapsed);
    }
    s.rpo_seconds = w->newest_pending_created_unix_ns
                        ? std::max<std::int64_t>(0, (now - *w->newest_pending_created_unix_ns) / 1'000'000'000)
                        : 0;
    s.rpo_alert = s.rpo_seconds > w->spec.policy.rpo_budget.count();
    out.push_back(std::move(s));
  }
  return out;
}

Result<TargetStatus> ReplicationService::StatusOf(const std::string& name) {
  for (TargetStatus& s : Statuses()) {
    if (s.spec.name == name) return s;
  }
  return Status::NotFound("no target named '" + name + "' (see `cairnctl target list`)");
}

Result<std::vector<TargetEvent>> ReplicationService::History(const std::string& name, int limit) {
  return catalog_.Events(name, limit);
}

std::vector<SyncOutcome> ReplicationService::WaitForSynchronousTargets(
    const std::string& snapshot_id, std::chrono::milliseconds timeout) {
  std::vector<std::string> targets;
  {
    std::lock_guard lock(mu_);
    for (auto& [name, w] : workers_) {
      if (w->spec.policy.synchronous) targets.push_back(name);
    }
  }
  if (!targets.empty()) NotifySnapshotCommitted();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<SyncOutcome> out;
  for (const std::string& name : targets) {
    SyncOutcome o{name, false, ""};
    for (;;) {
      auto held = catalog_.HoldsSnapshot(name, snapshot_id);
      if (held.ok() && *held) {
        o.replicated = true;
        o.detail = "replicated";
        break;
      }
      std::unique_lock lock(mu_);
      auto it = workers_.find(name);
      if (it == workers_.end()) {
        o.detail = "target removed; the snapshot is kept locally only";
        break;
      }
      if (it->second->status.state == TargetState::kDown) {
        o.detail = "target is down (" + it->second->status.last_error +
                   "); falling back to asynchronous replication";
        break;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        o.detail = "not replicated within " + std::to_string(timeout.count() / 1000) +
                   " s; falling back to asynchronous replication";
        break;
      }
      changed_.wait_for(lock, std::chrono::milliseconds(200));
    }
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace cairn
