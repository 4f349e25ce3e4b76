#include "appliance/ctl/job_wait.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "appliance/ctl/remote_command.h"
#include "appliance/ctl/scrub_output.h"
#include "core/cli/human.h"

namespace cairn::ctl {

using json = nlohmann::json;

namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(500);
constexpr int kPollRetries = 5;  // consecutive failed polls before giving up

const json& Progress(const json& job) {
  static const json kEmpty = json::object();
  return job.contains("progress") && job["progress"].is_object() ? job["progress"] : kEmpty;
}

}  // namespace

std::string JobProgressText(const json& job) {
  const json& p = Progress(job);
  std::string line = Str(job, "kind") + "  " + std::to_string(Num(p, "chunks")) + " chunks  " +
                     HumanBytes(Num(p, "bytes_done"));
  if (Num(p, "bytes_total") > 0) line += " of " + HumanBytes(Num(p, "bytes_total"));
  char rate[32];
  std::snprintf(rate, sizeof rate, "  %.1f MB/s", Real(p, "mb_per_second"));
  line += rate;
  if (Str(job, "kind") == "verify") line += "  " + std::to_string(Num(p, "problems")) + " damaged";
  return line;
}

Result<json> WaitForJob(AdminClient& client, const std::string& id) {
  const bool terminal = ::isatty(STDERR_FILENO) == 1;
  int failures = 0;
  for (;;) {
    auto job = client.Get("/v1/jobs/" + id);
    if (!job.ok()) {
      if (++failures > kPollRetries) {
        if (terminal) std::fprintf(stderr, "\r\033[K");
        return job.error().WithContext("waiting for job " + id);
      }
    } else {
      failures = 0;
      if (Str(*job, "state") != "running") {
        if (terminal) std::fprintf(stderr, "\r\033[K");
        return job;
      }
      if (terminal) std::fprintf(stderr, "\r\033[K%s", JobProgressText(*job).c_str());
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

void PrintJob(const json& job) {
  std::printf("job %s  %s  %s  (by %s, started %s, %.1f s)\n", Str(job, "id").c_str(),
              Str(job, "kind").c_str(), Str(job, "state").c_str(), Str(job, "requested_by").c_str(),
              Str(job, "started").c_str(), Real(job, "elapsed_seconds"));
  std::printf("progress: %s\n", JobProgressText(job).c_str());
  if (!Str(job, "error").empty()) std::printf("error: %s\n", Str(job, "error").c_str());
  const json result = job.contains("result") ? job["result"] : json::object();
  if (result.is_object() && !result.empty()) {
    if (Str(job, "kind") == "verify") {
      PrintScrubResult(result);
    } else {
      std::printf("%s\n", result.dump(2).c_str());
    }
  }
}

int JobExitCode(const json& job) {
  if (Str(job, "state") != "succeeded") return 1;
  if (Str(job, "kind") == "verify" && job.contains("result") && !Flag(job["result"], "sound")) {
    return 1;
  }
  return 0;
}

}  // namespace cairn::ctl
