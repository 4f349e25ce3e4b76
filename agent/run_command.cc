#include "agent/run_command.h"

#include <signal.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <ctime>
#include <memory>

#include "agent/enrollment.h"
#include "core/base/file_system.h"
#include "core/base/host_name.h"
#include "core/base/log.h"

namespace cairn {
namespace {

using json = nlohmann::json;

constexpr std::uint64_t kMaxCacheBytes = 1 << 20;

// The cached appliance schedules; a missing or unreadable cache is an empty
// list (logged): the appliance will be asked again.
std::vector<ScheduleConfig> LoadCache(const std::filesystem::path& file) {
  std::vector<ScheduleConfig> out;
  auto exists = DefaultFileSystem().Exists(file);
  if (!exists.ok() || !*exists) return out;
  auto raw = ReadWholeFile(DefaultFileSystem(), file, kMaxCacheBytes);
  const json j = raw.ok() ? json::parse(raw->begin(), raw->end(), nullptr, false) : json();
  if (!j.is_object() || !j.contains("schedules") || !j["schedules"].is_array()) {
    Log(LogLevel::kWarn, "schedules.cache_unreadable",
        {{"file", file.string()},
         {"reason", raw.ok() ? "not a schedule list" : raw.error().message()}});
    return out;
  }
  for (const json& s : j["schedules"]) {
    auto parsed = ScheduleFromJson(s);
    if (parsed.ok()) out.push_back(std::move(*parsed));
  }
  return out;
}

void SaveCache(const std::filesystem::path& file, const std::vector<ScheduleConfig>& list) {
  json arr = json::array();
  for (const ScheduleConfig& s : list) arr.push_back(ScheduleToJson(s));
  const std::string text =
      json{{"version", 1}, {"schedules", arr}}.dump(1, ' ', false, json::error_handler_t::replace);
  Status st = WriteFileAtomically(DefaultFileSystem(), file, AsBytes(text));
  if (!st.ok()) Log(LogLevel::kWarn, "schedules.cache_not_saved", {{"reason", st.message()}});
}

}  // namespace

Status RunLoop::Start() {
  CAIRN_RETURN_IF_ERROR(DefaultFileSystem().CreateDirectories(options_.state_dir));
  Status discarded;
  CAIRN_ASSIGN_OR_RETURN(
      tracker_, ScheduleTracker::LoadOrFresh(DefaultFileSystem(), tracker_.file(), options_.retry,
                                             &discarded));
  if (!discarded.ok()) {
    Log(LogLevel::kError, "schedule_state.discarded", {{"reason", discarded.message()}});
  }
  appliance_schedules_ = LoadCache(options_.state_dir / kScheduleCacheFile);
  Apply(appliance_schedules_);
  return Status::Ok();
}

void RunLoop::Refresh() {
  if (source_ == nullptr) return;
  auto fetched = source_->Fetch();
  if (!fetched.ok()) {
    // Once per outage at warn; the rest at debug (a refresh a minute).
    Log(fetch_failing_ ? LogLevel::kDebug : LogLevel::kWarn, "schedules.fetch_failed",
        {{"reason", fetched.error().message()},
         {"using", "cached list of " + std::to_string(appliance_schedules_.size())}});
    fetch_failing_ = true;
    return;
  }
  if (fetch_failing_) Log(LogLevel::kInfo, "schedules.fetch_recovered");
  fetch_failing_ = false;
  std::vector<ScheduleConfig> list;
  for (const json& j : *fetched) {
    auto s = ScheduleFromJson(j);
    if (!s.ok()) {
      Log(LogLevel::kWarn, "schedule.refused",
          {{"origin", "appliance"}, {"reason", s.error().message()}});
      continue;
    }
    list.push_back(std::move(*s));
  }
  if (list != appliance_schedules_) {
    appliance_schedules_ = std::move(list);
    SaveCache(options_.state_dir / kScheduleCacheFile, appliance_schedules_);
  }
  Apply(appliance_schedules_);
}

void RunLoop::Apply(const std::vector<ScheduleConfig>& from_appliance) {
  std::map<std::string, ScheduleConfig> all;
  for (const ScheduleConfig& s : options_.config_schedules) all.emplace(s.name, s);
  for (const ScheduleConfig& s : from_appliance) all.insert_or_assign(s.name, s);
  std::map<std::string, ScheduleConfig> active;
  for (auto& [name, s] : all) {
    if (options_.kinds.contains(s.kind)) active.emplace(name, s);
  }
  if (applied_ && active == active_) return;
  applied_ = true;

  // The set changed: say what this agent runs now, and why.
  const std::int64_t now = Now();
  for (const ScheduleConfig& s : from_appliance) {
    for (const ScheduleConfig& c : options_.config_schedules) {
      if (c.name == s.name) {
        Log(LogLevel::kInfo, "schedule.overridden",
            {{"name", s.name},
             {"by", "appliance"},
             {"config_cron", c.cron},
             {"appliance_cron", s.cron}});
      }
    }
  }
  crons_.clear();
  std::map<std::string, std::string> names;
  for (auto& [name, s] : all) {
    if (!options_.kinds.contains(s.kind)) {
      Log(LogLevel::kInfo, "schedule.skipped",
          {{"name", name},
           {"kind", JobKindName(s.kind)},
           {"reason", s.kind == JobKind::kVolumes
                          ? "volumes schedules run in the node agents (run --volumes)"
                          : "this agent runs volumes schedules only (--volumes)"}});
      continue;
    }
    auto cron = CronExpression::Parse(s.cron);
    if (!cron.ok()) {  // checked when parsed; kept as a guard
      Log(LogLevel::kWarn, "schedule.refused",
          {{"name", name}, {"reason", cron.error().message()}});
      active.erase(name);
      continue;
    }
    crons_.insert_or_assign(name, *cron);
    names[name] = s.cron;
  }
  active_ = std::move(active);
  tracker_.Sync(names, now);
  for (const auto& [name, s] : active_) {
    const DueCheck d = tracker_.CheckDue(name, crons_.at(name), now);
    Log(LogLevel::kInfo, "schedule.loaded",
        {{"name", name},
         {"cron", s.cron},
         {"kind", JobKindName(s.kind)},
         {"origin", s.origin},
         {"next", d.due ? "now" : FormatUnixUtc(d.wake)}});
  }
  if (active_.empty()) Log(LogLevel::kWarn, "schedule.none", {{"reason", "no schedule to run"}});
  SaveTracker();
}

void RunLoop::SaveTracker() {
  Status st = tracker_.Save(DefaultFileSystem());
  if (!st.ok()) Log(LogLevel::kError, "schedule_state.not_saved", {{"reason", st.message()}});
}

void RunLoop::RunJob(const ScheduleConfig& s, const DueCheck& due) {
  const std::int64_t started = Now();
  const std::int64_t started_ns = clock_.MonotonicNanos();
  Log(LogLevel::kInfo, "job.started",
      {{"name", s.name},
       {"kind", JobKindName(s.kind)},
       {"fire", FormatUnixUtc(due.fire)},
       {"missed", due.missed},
       {"retry", due.retry}});
  auto outcome = runner_.Run(s);
  const std::int64_t ms = (clock_.MonotonicNanos() - started_ns) / 1'000'000;
  if (outcome.ok()) {
    tracker_.RecordSuccess(s.name, started, outcome->snapshot_id);
    Log(LogLevel::kInfo, "job.finished",
        {{"name", s.name},
         {"kind", JobKindName(s.kind)},
         {"snapshot", outcome->snapshot_id},
         {"snapshot_name", outcome->snapshot_name},
         {"files", outcome->files},
         {"items", outcome->items},
         {"bytes", outcome->bytes},
         {"bytes_new", outcome->bytes_new},
         {"bytes_uploaded", outcome->bytes_uploaded},
         {"warnings", outcome->warnings.size()},
         {"ms", ms}});
  } else {
    const std::int64_t retry_at =
        tracker_.RecordFailure(s.name, started, Now(), outcome.error().ToString());
    Log(LogLevel::kWarn, "job.failed",
        {{"name", s.name},
         {"kind", JobKindName(s.kind)},
         {"reason", outcome.error().ToString()},
         {"failures", tracker_.Find(s.name)->failures},
         {"retry_at", FormatUnixUtc(retry_at)},
         {"retry_in_s", retry_at - Now()},
         {"ms", ms}});
  }
  SaveTracker();
}

std::int64_t RunLoop::Pass(const std::function<bool()>& stop) {
  if (Now() >= next_refresh_) {
    Refresh();
    next_refresh_ = Now() + std::max<std::int64_t>(1, options_.refresh_seconds);
  }
  // Each due job in name order; the due check is redone after every job,
  // since each takes time.
  for (const auto& [name, s] : active_) {
    if (stop()) break;
    const DueCheck d = tracker_.CheckDue(name, crons_.at(name), Now());
    if (d.due) RunJob(s, d);
  }
  std::int64_t wake = next_refresh_;
  const std::int64_t now = Now();
  for (const auto& [name, s] : active_) {
    const DueCheck d = tracker_.CheckDue(name, crons_.at(name), now);
    wake = std::min(wake, d.due ? now : d.wake);
  }
  return wake;
}

void RunLoop::Run(const std::function<bool(std::chrono::milliseconds)>& wait) {
  bool stopping = false;
  auto stop = [&] {
    if (!stopping) stopping = wait(std::chrono::milliseconds(0));
    return stopping;
  };
  while (!stop()) {
    const std::int64_t wake = Pass(stop);
    if (stopping) break;
    const std::int64_t ms = wake * 1000 - clock_.NowUnixNanos() / 1'000'000;
    stopping =
        wait(std::clamp(std::chrono::milliseconds(ms), std::chrono::milliseconds(0), kMaxWait));
  }
  Log(LogLevel::kInfo, "run.stopped");
}

namespace {

struct RunOpts {
  std::string config;
  std::string state_dir;
  std::string node;
  bool volumes = false;
};

int Fail(const Status& s) {
  std::fprintf(stderr, "cairn-agent run: %s\n", s.ToString().c_str());
  return 1;
}

// Waits up to `d` for SIGTERM or SIGINT (blocked in every thread, so they
// stay pending until asked for here). True when one arrived.
bool WaitForStopSignal(std::chrono::milliseconds d) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  timespec ts{static_cast<time_t>(d.count() / 1000),
              static_cast<long>((d.count() % 1000) * 1000000)};
  for (;;) {
    int sig = sigtimedwait(&set, nullptr, &ts);
    if (sig == SIGTERM || sig == SIGINT) {
      Log(LogLevel::kInfo, "run.stopping", {{"signal", sig == SIGTERM ? "TERM" : "INT"}});
      return true;
    }
    if (sig < 0 && errno == EINTR) continue;  // another signal; the remaining time is lost, fine
    return false;
  }
}

// The enrollment on a first start; retried while the appliance is
// unreachable, until it succeeds or a stop is asked for.
Result<AgentState> EnrollFirst(const AgentConfig& config, const std::filesystem::path& state_dir) {
  auto token = ReadEnrollmentTokenFile(config.token_file);
  if (!token.ok()) return token.error().WithContext("enrollment.token_file");
  EnrollRequest req;
  req.appliance_url = config.appliance_url;
  req.token = *token;
  req.state_dir = state_dir;
  req.hostname = LocalHostName();
  req.cluster = config.cluster;
  RetryPolicy retry{config.retry_initial_seconds, config.retry_max_seconds};
  for (int attempt = 1;; ++attempt) {
    auto state = Enroll(req);
    if (state.ok() || !state.error().retryable()) return state;
    const std::int64_t delay = retry.DelayAfter(attempt);
    Log(LogLevel::kWarn, "enroll.failed",
        {{"reason", state.error().message()}, {"retry_in_s", delay}});
    if (WaitForStopSignal(std::chrono::seconds(delay))) {
      return Status::Cancelled("stopped before enrollment succeeded");
    }
  }
}

int RunCommand(AgentCommandFlags& flags, const RunOpts& o) {
  // Block the stop signals before any thread starts, so every thread
  // inherits the mask and they wait for WaitForStopSignal.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  auto config = LoadAgentConfig(o.config);
  if (!config.ok()) return Fail(config.error());
  const std::filesystem::path state_dir =
      o.state_dir.empty() ? config->state_dir : std::filesystem::path(o.state_dir);
  auto state = AgentState::Load(state_dir);
  if (!state.ok() && state.error().IsNotFound() && !config->token_file.empty()) {
    Log(LogLevel::kInfo, "enroll.first_start",
        {{"appliance", config->appliance_url}, {"state_dir", state_dir.string()}});
    state = EnrollFirst(*config, state_dir);
    if (state.ok()) {
      Log(LogLevel::kInfo, "enroll.done",
          {{"agent", state->agent_id}, {"cluster", state->cluster}});
    }
  }
  if (!state.ok()) return Fail(state.error());
  std::string node = !o.node.empty() ? o.node : config->node_name;
  if (node.empty()) node = LocalHostName();

  RunLoopOptions options;
  options.state_dir = state_dir;
  options.config_schedules = config->schedules;
  options.retry = RetryPolicy{config->retry_initial_seconds, config->retry_max_seconds};
  options.refresh_seconds = config->refresh_seconds;
  if (o.volumes) options.kinds = {JobKind::kVolumes};
  AgentJobRunner runner(*state, *config, flags, node);
  ApplianceScheduleSource source(*state);
  RunLoop loop(options, DefaultClock(), &source, runner);
  Log(LogLevel::kInfo, "run.started",
      {{"agent", state->agent_id},
       {"cluster", state->cluster},
       {"appliance", state->appliance_url},
       {"mode", o.volumes ? "volumes" : "cluster"},
       {"node", node}});
  if (Status st = loop.Start(); !st.ok()) return Fail(st);
  loop.Run(WaitForStopSignal);
  return 0;
}

}  // namespace

void RegisterRunCommand(CLI::App& app, AgentCommandFlags& flags) {
  auto* cmd = app.add_subcommand("run", "keep the schedules: run each backup when it is due");
  auto o = std::make_shared<RunOpts>();
  cmd->add_option("--config", o->config, "agent.toml (see configs/agent.toml)")->required();
  cmd->add_option("--state-dir", o->state_dir, "overrides [agent] state_dir");
  cmd->add_flag("--volumes", o->volumes,
                "node mode (the DaemonSet): run the volumes schedules of this node only");
  cmd->add_option("--node", o->node, "this node's name (overrides [agent] node_name)");
  cmd->callback([&flags, o] { flags.exit_code = RunCommand(flags, *o); });
}

}  // namespace cairn
