#include "agent/volumes/hook_runner.h"

#include "core/base/log.h"

namespace cairn::volumes {
namespace {

std::string Join(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

// The end of stderr for one-line messages.
std::string Tail(const std::string& text, std::size_t n = 400) {
  std::string t = text.size() > n ? "..." + text.substr(text.size() - n) : text;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  return t;
}

}  // namespace

std::string HookResult::Summary() const {
  std::string s = std::string(HookPhaseName(phase)) + " hook of pod " + pod + " (container " +
                  container + ", " + command + ")";
  if (ok) return s + " succeeded";
  if (!error.empty()) return s + " failed: " + error;
  s += " exited with code " + std::to_string(exit_code);
  if (!stderr_tail.empty()) s += ": " + Tail(stderr_tail);
  return s;
}

HookRunner::HookRunner(PodExecutor& exec, std::vector<HookPod> pods,
                       std::vector<std::vector<std::size_t>> pods_of_volume)
    : exec_(exec), pods_(std::move(pods)), pods_of_volume_(std::move(pods_of_volume)) {
  StartAttempt();
}

void HookRunner::StartAttempt() {
  Finish();
  state_.assign(pods_.size(), PodState{});
  for (const auto& pods : pods_of_volume_) {
    for (std::size_t p : pods) ++state_[p].volumes_left;
  }
}

Status HookRunner::Run(std::size_t pod, const HookSpec& spec, bool after_failure) {
  const HookPod& p = pods_[pod];
  HookResult r;
  r.pod = p.ns + "/" + p.name;
  r.container = spec.container;
  r.phase = spec.phase;
  r.command = Join(spec.command);
  r.after_failure = after_failure;
  const auto start = std::chrono::steady_clock::now();
  auto exec = exec_.Exec(p.ns, p.name, spec.container, spec.command, spec.timeout);
  r.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  if (!exec.ok()) {
    r.error = exec.error().message();
  } else {
    r.exit_code = exec->exit_code;
    r.stderr_tail = exec->stderr_tail;
    if (!exec->failure.empty()) r.error = "the command could not run: " + exec->failure;
    r.ok = exec->exit_code == 0 && exec->failure.empty();
  }
  Log(r.ok ? LogLevel::kInfo : LogLevel::kWarn, "volume_hook",
      {{"phase", std::string(HookPhaseName(spec.phase))},
       {"pod", r.pod},
       {"container", r.container},
       {"exit_code", r.exit_code},
       {"ms", r.duration_ms}});
  std::string summary = r.Summary();
  const bool ok = r.ok;
  results_.push_back(std::move(r));
  if (ok) return Status::Ok();
  if (spec.on_error == HookOnError::kContinue || after_failure) {
    warnings_.push_back(summary + (after_failure ? "" : " (on-error Continue)"));
    return Status::Ok();
  }
  return Status::Cancelled(summary + "; the backup was stopped (on-error Fail), nothing committed");
}

Status HookRunner::RunPost(std::size_t pod, bool after_failure) {
  PodState& st = state_[pod];
  st.post_done = true;
  if (!pods_[pod].hooks.post) return Status::Ok();
  return Run(pod, *pods_[pod].hooks.post, after_failure);
}

Status HookRunner::BeforeVolume(std::size_t index) {
  if (index >= pods_of_volume_.size()) return Status::Ok();
  for (std::size_t pod : pods_of_volume_[index]) {
    PodState& st = state_[pod];
    if (st.started) continue;
    st.started = true;
    if (!pods_[pod].hooks.pre) continue;
    Status s = Run(pod, *pods_[pod].hooks.pre, false);
    if (!s.ok()) {
      st.pre_failed = true;
      st.post_done = true;  // nothing more of this pod runs
      return s;
    }
  }
  return Status::Ok();
}

Status HookRunner::AfterVolume(std::size_t index) {
  if (index >= pods_of_volume_.size()) return Status::Ok();
  Status first;
  for (std::size_t pod : pods_of_volume_[index]) {
    PodState& st = state_[pod];
    if (st.volumes_left > 0) --st.volumes_left;
    if (st.volumes_left > 0 || st.post_done || !st.started) continue;
    // Every post hook owed here runs even when an earlier one failed.
    Status s = RunPost(pod, false);
    if (first.ok()) first = s;
  }
  return first;
}

void HookRunner::Finish() {
  for (std::size_t pod = 0; pod < state_.size(); ++pod) {
    PodState& st = state_[pod];
    if (st.started && !st.post_done) RunPost(pod, true).IgnoreError();
  }
}

std::vector<std::string> HookRunner::TakeWarnings() {
  std::vector<std::string> out;
  out.swap(warnings_);
  return out;
}

}  // namespace cairn::volumes
