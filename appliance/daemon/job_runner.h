// JobRunner: the appliance's maintenance jobs -- prune (retention), garbage
// collection, verify/scrub -- run on a thread of their own, one at a time.
//
// One at a time on purpose: a verify that reads a chunk garbage collection
// has just swept (because prune deleted its last snapshot a moment before)
// would report damage that is not there; in sequence, each job sees the
// store the previous one left. Starting a job while another runs is refused
// with the running job's id (the API answers 409), not queued, so an
// operator always knows what is running.
//
// Each job reports live figures (JobProgress) and, at the end, a JSON result
// or an error; the last kMaxHistory jobs stay listed (GET /v1/jobs). The
// results that matter later are also in the catalog (gc_runs,
// snapshot_checks): this history is for watching, not for records.
//
// Thread-safety: all methods from any thread. The destructor asks the
// running job to stop (its cancel flag) and joins it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "core/base/clock.h"
#include "core/base/status.h"
#include "core/engine/progress.h"

namespace cairn {

// What a job sees: live figures to fill, and a flag to poll between units of
// work (set at shutdown); a job that sees it returns Status::Cancelled.
struct JobContext {
  JobProgress& progress;
  const std::atomic<bool>& cancel;
};

using JobFunction = std::function<Result<nlohmann::json>(JobContext&)>;

class JobRunner {
 public:
  static constexpr std::size_t kMaxHistory = 50;

  explicit JobRunner(Clock& clock = DefaultClock()) : clock_(clock) {}
  ~JobRunner();
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  // Starts `fn` as job `kind` ("prune", "gc", "verify") requested by
  // `actor`; returns the job's id. AlreadyExists (naming the running job)
  // while another job runs.
  Result<std::string> Start(std::string kind, nlohmann::json options, std::string actor,
                            JobFunction fn);
  // {"id","kind","state": running|succeeded|failed|cancelled,"requested_by",
  //  "options","started_unix_ns","finished_unix_ns","elapsed_seconds",
  //  "progress":{...},"result":{...},"error"}; nullopt for an unknown id.
  std::optional<nlohmann::json> Get(const std::string& id);
  // Newest first.
  nlohmann::json List();
  // Blocks until job `id` is no longer running (tests, `--wait` is client-side).
  void WaitFor(const std::string& id);
  // Asks the running job to stop and joins it (shutdown).
  void Stop();

 private:
  struct Job {
    std::string id, kind, actor, state = "running", error;
    nlohmann::json options, result;
    std::int64_t started_unix_ns = 0, finished_unix_ns = 0;
    JobProgress progress;
  };
  nlohmann::json ToJson(const Job& job) const;
  void Reap();  // joins a finished thread; with mu_ held

  Clock& clock_;
  std::mutex mu_;
  std::condition_variable done_cv_;
  std::deque<std::shared_ptr<Job>> history_;  // newest first
  std::shared_ptr<Job> running_;
  std::thread thread_;
  std::atomic<bool> cancel_{false};
  std::uint64_t next_id_ = 1;
};

}  // namespace cairn
