// cairnctl verify: proves every chunk of every snapshot (or only those not
// verified for N days), quarantines damaged chunks and heals them from the
// replication targets; exit 0 only when nothing stays damaged. Names each
// damaged chunk and the snapshots/files it hurts.
//
// Local mode (--store) runs the scrub here (core/scrub/scrub.h); remote mode
// (--appliance) starts the appliance's verify job and, with --wait, follows
// it to the end.
#include <cstdio>

#include "appliance/ctl/cli_common.h"
#include "appliance/ctl/job_wait.h"
#include "appliance/ctl/remote_command.h"
#include "appliance/ctl/scrub_output.h"
#include "core/cli/human.h"
#include "core/cli/progress_line.h"
#include "core/scrub/scrub.h"
#include "sync/engine/replica_chunk_source.h"

namespace cairn::ctl {
namespace {

struct VerifyFlags {
  StoreFlags store;
  RemoteFlags remote;
  int threads = 0;
  int unverified_days = 0;
  bool no_heal = false;
  bool wait = false;
  bool json = false;
};

int RunLocal(const VerifyFlags& flags, const Environment& env) {
  auto store = OpenStore(flags.store, env);
  if (!store.ok()) return Fail(store.error());
  std::unique_ptr<ReplicaChunkSource> replicas;
  if (!flags.no_heal) {
    auto opened = ReplicaChunkSource::FromCatalog((*store)->catalog().path());
    if (!opened.ok()) return Fail(opened.error().WithContext("list the replication targets"));
    replicas = std::move(*opened);
  }
  ScrubOptions options;
  options.threads = flags.threads;
  options.unverified_days = flags.unverified_days;
  JobProgress progress;
  ProgressLine line(progress, [](const JobProgress& p, double secs) {
    std::string text =
        "verify  " + std::to_string(p.chunks_done.load()) + " chunks  " + HumanBytes(p.bytes_done);
    if (p.bytes_total > 0) text += " of " + HumanBytes(p.bytes_total);
    return text + "  " + HumanRate(p.bytes_done, secs) + "  " + std::to_string(p.problems.load()) +
           " damaged";
  });
  auto report = RunScrub(**store, DirectCatalogAccess((*store)->catalog()), options,
                         replicas && replicas->size() > 0 ? replicas.get() : nullptr, &progress);
  line.Stop();
  if (!report.ok()) return Fail(report.error().WithContext("verify failed"));
  const nlohmann::json result = ScrubReportToJson(*report);
  if (flags.json) {
    std::printf("%s\n", result.dump(2).c_str());
    return report->sound() ? 0 : 1;
  }
  return PrintScrubResult(result);
}

int RunRemote(const VerifyFlags& flags) {
  auto client = AdminClient::Connect(flags.remote);
  if (!client.ok()) return Fail(client.error());
  nlohmann::json options{{"unverified_days", flags.unverified_days}, {"heal", !flags.no_heal}};
  auto started = (*client)->Post("/v1/jobs/verify", {{"options", options}});
  if (!started.ok()) return Fail(started.error().WithContext("start the verify job"));
  const std::string id = Str(*started, "id");
  if (!flags.wait) {
    if (flags.json) {
      std::printf("%s\n", started->dump(2).c_str());
    } else {
      std::printf("started verify job %s (follow it: cairnctl job show %s --wait)\n", id.c_str(),
                  id.c_str());
    }
    return 0;
  }
  auto job = WaitForJob(**client, id);
  if (!job.ok()) return Fail(job.error());
  if (flags.json) {
    std::printf("%s\n", job->dump(2).c_str());
  } else if (Str(*job, "state") == "succeeded") {
    PrintScrubResult((*job)["result"]);
  } else {
    PrintJob(*job);
  }
  return JobExitCode(*job);
}

}  // namespace

void RegisterVerifyCommand(CLI::App& app, CommandRegistry& reg, const Environment& env) {
  CLI::App* cmd = app.add_subcommand(
      "verify", "prove every chunk of every snapshot; quarantine and heal damaged ones");
  auto flags = std::make_shared<VerifyFlags>();
  AddStoreFlags(cmd, flags->store, env);
  AddRemoteFlags(cmd, flags->remote, env.remote, /*required=*/false);
  cmd->add_option("--threads", flags->threads, "local: reader threads (default: one per core)");
  cmd->add_option("--unverified-days", flags->unverified_days,
                  "only chunks not verified in the last N days (default 0: every chunk)")
      ->check(CLI::Range(0, 3650));
  cmd->add_flag("--no-heal", flags->no_heal,
                "quarantine damaged chunks but do not fetch copies from the replication targets");
  cmd->add_flag("--wait", flags->wait, "remote: wait for the verify job and print its result");
  cmd->add_flag("--json", flags->json, "print the result as JSON");
  cmd->callback([&reg, flags, &env] {
    reg.runner = [flags, &env] {
      return UseRemote(flags->store, flags->remote) ? RunRemote(*flags) : RunLocal(*flags, env);
    };
  });
}

}  // namespace cairn::ctl
