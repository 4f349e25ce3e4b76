#include "appliance/daemon/job_runner.h"


#include "core/base/log.h"
#include "core/base/utc_time.h"

namespace cairn {

JobRunner::~JobRunner() { Stop(); }

void JobRunner::Reap() {
  if (!running_ && thread_.joinable()) thread_.join();
}

Result<std::string> JobRunner::Start(std::string kind, nlohmann::json options, std::string actor,
                                     JobFunction fn) {
  std::unique_lock lock(mu_);
  if (running_) {
    return Status::AlreadyExists("job " + running_->id + " (" + running_->kind +
                                 ") is running; wait for it (GET /v1/jobs/" + running_->id +
                                 ") and start " + kind + " after it");
  }
  Reap();
  auto job = std::make_shared<Job>();
  // Ids sort by start time and stay unique across restarts.
  job->id = std::to_string(clock_.NowUnixNanos() / kNanosPerSecond) + "-" +
            std::to_string(next_id_++);
  job->kind = std::move(kind);
  job->actor = std::move(actor);
  job->options = std::move(options);
  job->started_unix_ns = clock_.NowUnixNanos();
  running_ = job;
  history_.push_front(job);
  while (history_.size() > kMaxHistory) history_.pop_back();
  cancel_ = false;
  Log(LogLevel::kInfo, "job.started", {{"id", job->id}, {"kind", job->kind}, {"by", job->actor}});
  thread_ = std::thread([this, job, fn = std::move(fn)] {
    JobContext context{job->progress, cancel_};
    Result<nlohmann::json> result = Status::IoError("job did not run");
    try {
      result = fn(context);
    } catch (const std::exception& e) {
      // A job must not take the appliance down; its failure is reported.
      result = Status::IoError(std::string("job threw: ") + e.what());
    }
    std::lock_guard done(mu_);
    job->finished_unix_ns = clock_.NowUnixNanos();
    if (result.ok()) {
      job->state = "succeeded";
      job->result = std::move(*result);
    } else {
      job->state = result.error().IsCancelled() ? "cancelled" : "failed";
      job->error = result.error().message();
    }
    Log(job->state == "succeeded" ? LogLevel::kInfo : LogLevel::kWarn, "job.finished",
        {{"id", job->id}, {"kind", job->kind}, {"state", job->state}, {"error", job->error}});
    running_.reset();
    done_cv_.notify_all();
  });
  return job->id;
}

nlohmann::json JobRunner::ToJson(const Job& job) const {
  const std::int64_t end = job.finished_unix_ns ? job.finished_unix_ns : clock_.NowUnixNanos();
  const double elapsed = static_cast<double>(end - job.started_unix_ns) / 1e9;
  const JobProgress& p = job.progress;
  const auto load = [](const std::atomic<std::uint64_t>& v) {
    return v.load(std::memory_order_relaxed);
  };
  const std::uint64_t done = load(p.bytes_done);
  nlohmann::json progress{{"entries", load(p.entries)},
                          {"chunks", load(p.chunks_done)},
                          {"bytes_done", done},
                          {"bytes_total", load(p.bytes_total)},
                          {"problems", load(p.problems)},
                          {"mb_per_second", elapsed > 0 ? static_cast<double>(done) / 1e6 / elapsed : 0.0}};
  return {{"id", job.id},
          {"kind", job.kind},
          {"state", job.state},
          {"requested_by", job.actor},
          {"options", job.options},
          {"started_unix_ns", job.started_unix_ns},
          {"started", FormatUtc(job.started_unix_ns)},
          {"finished_unix_ns", job.finished_unix_ns},
          {"elapsed_seconds", elapsed},
          {"progress", progress},
          {"result", job.result.is_null() ? nlohmann::json::object() : job.result},
          {"error", job.error}};
}

std::optional<nlohmann::json> JobRunner::Get(const std::string& id) {
  std::lock_guard lock(mu_);
  for (const auto& job : history_) {
    if (job->id == id) return ToJson(*job);
  }
  return std::nullopt;
}

nlohmann::json JobRunner::List() {
  std::lock_guard lock(mu_);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& job : history_) out.push_back(ToJson(*job));
  return out;
}

void JobRunner::WaitFor(const std::string& id) {
  std::unique_lock lock(mu_);
  done_cv_.wait(lock, [&] { return !running_ || running_->id != id; });
}

void JobRunner::Stop() {
  std::unique_lock lock(mu_);
  cancel_ = true;
  done_cv_.wait(lock, [&] { return !running_; });
  Reap();
}

}  // namespace cairn
