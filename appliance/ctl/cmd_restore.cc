// cairnctl restore: a snapshot into a directory (confined to it), or as a
// pax tar stream on stdout with --target -.
#include <unistd.h>

#include <cstdio>

#include "appliance/ctl/cli_common.h"
#include "core/cli/job_report.h"
#include "core/cli/progress_line.h"
#include "core/engine/restore.h"
#include "core/tree/tar_writer.h"
#include "core/tree/tree_restorer.h"

namespace cairn::ctl {


void RegisterRestoreCommand(CLI::App& app, CommandRegistry& reg, const Environment& env) {
  CLI::App* cmd = app.add_subcommand("restore", "restore a snapshot");
  struct Flags {
    StoreFlags store;
    std::string snapshot, target, name;
    int threads = 0;
  };
  auto flags = std::make_shared<Flags>();
  AddStoreFlags(cmd, flags->store, env);
  cmd->add_option("--snapshot", flags->snapshot, "snapshot id, unique id prefix, or latest")
      ->required();
  cmd->add_option("--target", flags->target, "directory to restore into, or - for a tar stream")
      ->required();
  cmd->add_option("--name", flags->name, "with --snapshot latest: the newest of this name");
  cmd->add_option("--threads", flags->threads, "reader threads (default: one per core)");
  cmd->callback([&reg, flags, &env] {
    reg.runner = [flags, &env] {
      auto store = OpenStore(flags->store, env);
      if (!store.ok()) return Fail(store.error());
      bool to_stdout = flags->target == "-";
      std::unique_ptr<EntrySink> sink;
      if (to_stdout) {
        auto w = TarWriter::Create(STDOUT_FILENO);
        if (!w.ok()) return Fail(w.error());
        sink = std::move(*w);
      } else {
        auto r = TreeRestorer::Create(flags->target, RestoreOptions{});
        if (!r.ok()) return Fail(r.error());
        sink = std::move(*r);
      }
      JobProgress progress;
      RestoreRequest request;
      request.snapshot = flags->snapshot;
      if (!flags->name.empty()) request.name = flags->name;
      request.threads = flags->threads;
      request.progress = &progress;
      auto start = std::chrono::steady_clock::now();
      ProgressLine line(progress, RenderRestoreProgress);
      auto result = RunRestore(**store, request, *sink);
      line.Stop();
      if (!result.ok()) return Fail(result.error().WithContext("restore failed"));
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      FILE* out = to_stdout ? stderr : stdout;  // stdout carries the tar stream
      return ReportRestore(*result, secs, out, "cairnctl");
    };
  });
}

}  // namespace cairn::ctl
