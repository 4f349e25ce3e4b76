// cairnctl backup: one snapshot of a directory (or a tar stream on stdin).
// Prints a summary; the last line is "snapshot <id>" (relied on by scripts).
#include <unistd.h>

#include <cstdio>

#include "appliance/ctl/cli_common.h"
#include "core/cli/job_report.h"
#include "core/cli/progress_line.h"
#include "core/engine/backup.h"
#include "core/engine/directory_source.h"
#include "core/engine/tar_stream_source.h"
#include "core/store/store_lock.h"

namespace cairn::ctl {


void RegisterBackupCommand(CLI::App& app, CommandRegistry& reg, const Environment& env) {
  CLI::App* cmd = app.add_subcommand("backup", "back up a directory (or a tar stream from stdin)");
  struct Flags {
    StoreFlags store;
    std::string source, name;
    std::vector<std::string> tags;
    int threads = 0;
    bool no_cache = false;
  };
  auto flags = std::make_shared<Flags>();
  AddStoreFlags(cmd, flags->store, env);
  cmd->add_option("--source", flags->source, "directory to back up, or - for a tar stream on stdin")
      ->required();
  cmd->add_option("--name", flags->name, "snapshot family name (A-Z a-z 0-9 . _ -)")->required();
  cmd->add_option("--tag", flags->tags, "a label to attach (repeatable)");
  cmd->add_option("--threads", flags->threads, "worker threads (default: one per core)");
  cmd->add_flag("--no-files-cache", flags->no_cache, "read every file even if unchanged");
  cmd->callback([&reg, flags, &env] {
    reg.runner = [flags, &env] {
      auto store = OpenStore(flags->store, env);
      if (!store.ok()) return Fail(store.error());
      // Shared: backups run side by side, never beside a local GC.
      auto lock = StoreLock::TryAcquire((*store)->dir(), StoreLockMode::kShared);
      if (!lock.ok() && lock.error().retryable()) {
        std::fprintf(stderr, "cairnctl: waiting for garbage collection to finish (%s)\n",
                     lock.error().message().c_str());
        lock = StoreLock::Acquire((*store)->dir(), StoreLockMode::kShared);
      }
      if (!lock.ok()) return Fail(lock.error());
      std::unique_ptr<EntrySource> source;
      if (flags->source == "-") {
        auto s = TarStreamSource::Open(STDIN_FILENO);
        if (!s.ok()) return Fail(s.error());
        source = std::move(*s);
      } else {
        auto s = DirectorySource::Open(flags->source);
        if (!s.ok()) return Fail(s.error());
        source = std::move(*s);
      }
      JobProgress progress;
      BackupRequest request;
      request.name = flags->name;
      request.tags = flags->tags;
      request.threads = flags->threads;
      request.use_files_cache = !flags->no_cache;
      request.progress = &progress;
      ProgressLine line(progress, RenderBackupProgress);
      auto result = RunBackup(**store, *source, request);
      line.Stop();
      if (!result.ok()) return Fail(result.error().WithContext("backup failed, no snapshot made"));
      PrintBackupSummary(*result);
      return 0;
    };
  });
}

}  // namespace cairn::ctl
