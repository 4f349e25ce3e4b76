// cairnctl gc: garbage collection of a store folder (local mode). Takes the
// store's exclusive lock, so it refuses to run beside a local backup or a
// running appliance (which runs GC as one of its own jobs). Prints a live
// progress line on a terminal, then a summary (or --json). Exit 0 when the
// run completed -- chunks that snapshots reference but the store lacks are
// reported as a warning, they are verify's business; 1 on any error.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "appliance/ctl/cli_common.h"
#include "core/base/duration.h"
#include "core/cli/human.h"
#include "core/cli/progress_line.h"
#include "core/gc/garbage_collector.h"
#include "core/gc/gc_report_json.h"

namespace cairn::ctl {

namespace {

void PrintReport(const GcReport& r) {
  auto n = [](std::uint64_t v) { return static_cast<unsigned long long>(v); };
  if (r.resumed) {
    std::printf("resumed     run %lld from chunks/%02x\n", static_cast<long long>(r.run_id),
                static_cast<unsigned>(r.first_prefix));
  }
  std::printf("cutoff      %s (files modified since are kept)\n",
              HumanTime(r.cutoff_unix_ns).c_str());
  std::printf("marked      %llu snapshots, %llu chunks live\n", n(r.snapshots_marked),
              n(r.chunks_live));
  std::printf("%s  %llu chunks, %llu temporaries, %s\n", r.dry_run ? "would free" : "freed     ",
              n(r.chunks_freed), n(r.temporaries_freed), HumanBytes(r.bytes_freed).c_str());
  std::printf(
      "kept        %llu unreferenced chunks newer than the cutoff, %llu still counted "
      "by the catalog\n",
      n(r.kept_recent), n(r.kept_referenced));
  if (r.stale_rows_removed > 0) {
    std::printf("rows        %llu catalog rows of vanished chunks %s\n", n(r.stale_rows_removed),
                r.dry_run ? "would be removed" : "removed");
  }
  std::printf("missing     %llu referenced chunks\n", n(r.missing_count));
  std::printf("duration    %.1f s\n", static_cast<double>(r.duration_ns) / 1e9);
  if (r.missing_count > 0) {
    for (const std::string& m : r.missing) std::printf("MISSING chunk %s\n", m.c_str());
    if (r.missing_count > r.missing.size()) {
      std::printf("... and %llu more\n", n(r.missing_count - r.missing.size()));
    }
    std::fprintf(stderr,
                 "cairnctl: warning: %llu chunks that snapshots reference are missing from the "
                 "store; run `cairnctl verify` to see which files they hurt\n",
                 n(r.missing_count));
  }
}

}  // namespace

void RegisterGcCommand(CLI::App& app, CommandRegistry& reg, const Environment& env) {
  CLI::App* cmd =
      app.add_subcommand("gc", "remove the chunks no snapshot references (local mode; resumable)");
  struct Flags {
    StoreFlags store;
    std::string grace = "1h";
    bool dry_run = false;
    bool json = false;
  };
  auto flags = std::make_shared<Flags>();
  AddStoreFlags(cmd, flags->store, env);
  cmd->add_option("--grace", flags->grace,
                  "keep files modified this recently, whatever references them (default 1h)");
  cmd->add_flag("--dry-run", flags->dry_run, "report what would be freed, remove nothing");
  cmd->add_flag("--json", flags->json, "machine-readable summary");
  cmd->callback([&reg, flags, &env] {
    reg.runner = [flags, &env] {
      auto grace = ParseDuration(flags->grace);
      if (!grace.ok()) return Fail(grace.error().WithContext("--grace"));
      auto store = OpenStore(flags->store, env);
      if (!store.ok()) return Fail(store.error());
      auto lock = LockStoreForGc((*store)->dir());
      if (!lock.ok()) return Fail(lock.error());
      LocalGcEnvironment gc_env((*store)->catalog());
      GcOptions options;
      options.grace = *grace;
      options.dry_run = flags->dry_run;
      JobProgress progress;
      ProgressLine line(progress, [](const JobProgress& p, double) {
        return "gc  " + std::to_string(p.entries.load()) + " snapshots marked  " +
               std::to_string(p.chunks_done.load()) + " chunk files  " + HumanBytes(p.bytes_done) +
               " freed";
      });
      auto report = RunGarbageCollection(**store, gc_env, options, &progress);
      line.Stop();
      if (!report.ok()) return Fail(report.error());
      if (flags->json) {
        std::printf("%s\n", GcReportToJson(*report).dump(2).c_str());
      } else {
        PrintReport(*report);
      }
      return 0;
    };
  });
}

}  // namespace cairn::ctl
