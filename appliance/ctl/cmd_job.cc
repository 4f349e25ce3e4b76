// cairnctl job list | job show ID [--wait]: the appliance's maintenance jobs
// (prune, gc, verify; docs/api.md "Jobs") -- what ran, what runs now with
// its progress, each one's result, and when the [maintenance] schedule
// starts each kind next. `show --wait` follows a running job to its end and
// exits non-zero unless it succeeded (for verify: and nothing stays
// damaged).
#include <cstdio>

#include "appliance/ctl/cli_common.h"
#include "appliance/ctl/job_wait.h"
#include "appliance/ctl/remote_command.h"

namespace cairn::ctl {

using json = nlohmann::json;

void RegisterJobCommands(CLI::App& app, CommandRegistry& reg, const Environment& env) {
  CLI::App* job = app.add_subcommand("job", "maintenance jobs on the appliance (remote)");
  job->require_subcommand(1);

  Remote(
      job->add_subcommand("list",
                          "recent jobs, newest first, with live progress; the next scheduled runs"),
      reg, env, [](AdminClient& c) { return c.Get("/v1/jobs"); },
      [](const json& j) {
        std::printf("%-8s  %-8s  %-10s  %-19s  %8s  %s\n", "ID", "KIND", "STATE", "STARTED",
                    "SECONDS", "PROGRESS");
        for (const json& job : List(j, "jobs")) {
          std::printf("%-8s  %-8s  %-10s  %-19s  %8.1f  %s\n", Str(job, "id").c_str(),
                      Str(job, "kind").c_str(), Str(job, "state").c_str(),
                      Str(job, "started").c_str(), Real(job, "elapsed_seconds"),
                      JobProgressText(job).c_str());
        }
        const json& scheduled = List(j, "scheduled");
        if (scheduled.empty()) return;
        std::printf("\nSCHEDULED\n%-8s  %-20s  %s\n", "KIND", "NEXT (UTC)", "CRON");
        for (const json& s : scheduled) {
          // A deferred kind waits for the running job; NEXT is its next try.
          const std::string next = Str(s, "next").empty() ? "never" : Str(s, "next");
          std::printf("%-8s  %-20s  %s%s\n", Str(s, "kind").c_str(), next.c_str(),
                      Str(s, "cron").c_str(),
                      Flag(s, "deferred") ? "  (waiting for the running job)" : "");
        }
      });

  CLI::App* show = job->add_subcommand("show", "one job: state, progress, result or error");
  struct ShowFlags {
    RemoteFlags remote;
    std::string id;
    bool wait = false;
    bool json = false;
  };
  auto flags = std::make_shared<ShowFlags>();
  AddRemoteFlags(show, flags->remote, env.remote);
  show->add_option("id", flags->id, "the job id (cairnctl job list)")->required();
  show->add_flag("--wait", flags->wait, "wait until the job has finished");
  show->add_flag("--json", flags->json, "print the API's JSON");
  show->callback([&reg, flags] {
    reg.runner = [flags] {
      auto client = AdminClient::Connect(flags->remote);
      if (!client.ok()) return Fail(client.error());
      auto j =
          flags->wait ? WaitForJob(**client, flags->id) : (*client)->Get("/v1/jobs/" + flags->id);
      if (!j.ok()) return Fail(j.error());
      if (flags->json) {
        std::printf("%s\n", j->dump(2).c_str());
      } else {
        PrintJob(*j);
      }
      if (Str(*j, "state") == "running") return 0;
      return JobExitCode(*j);
    };
  });
}

}  // namespace cairn::ctl
