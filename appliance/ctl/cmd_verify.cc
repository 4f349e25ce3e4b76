// cairnctl verify: proves every chunk of every snapshot; exit 0 only when the
// store is sound. Names each damaged chunk and the snapshots/files it hurts.
#include <cstdio>

#include "appliance/ctl/cli_common.h"
#include "core/cli/human.h"
#include "core/cli/progress_line.h"
#include "core/engine/verify.h"

namespace cairn::ctl {

void RegisterVerifyCommand(CLI::App& app, CommandRegistry& reg, const Environment& env) {
  CLI::App* cmd = app.add_subcommand("verify", "read and authenticate every chunk of every snapshot");
  struct Flags {
    StoreFlags store;
    int threads = 0;
  };
  auto flags = std::make_shared<Flags>();
  AddStoreFlags(cmd, flags->store, env);
  cmd->add_option("--threads", flags->threads, "reader threads (default: one per core)");
  cmd->callback([&reg, flags, &env] {
    reg.runner = [flags, &env] {
      auto store = OpenStore(flags->store, env);
      if (!store.ok()) return Fail(store.error());
      JobProgress progress;
      ProgressLine line(progress, [](const JobProgress& p, double secs) {
        return "verify  " + std::to_string(p.chunks_done.load()) + " chunks  " +
               HumanBytes(p.bytes_done) + "  " + HumanRate(p.bytes_done, secs) + "  " +
               std::to_string(p.problems.load()) + " damaged";
      });
      auto report = RunVerify(**store, flags->threads, &progress);
      line.Stop();
      if (!report.ok()) return Fail(report.error().WithContext("verify failed"));
      for (const std::string& m : report->damaged_manifests) {
        std::printf("DAMAGED snapshot manifest %s\n", m.c_str());
      }
      for (const DamagedChunk& d : report->damaged_chunks) {
        std::printf("DAMAGED chunk %s: %s\n", d.id.Hex().c_str(), d.problem.c_str());
        for (const DamagedChunk::Use& use : d.used_by) {
          std::printf("  snapshot %s (%s):\n", use.snapshot_id.c_str(), use.name.c_str());
          for (const std::string& f : use.files) std::printf("    %s\n", f.c_str());
          if (use.more_files > 0) {
            std::printf("    ... and %llu more files\n",
                        static_cast<unsigned long long>(use.more_files));
          }
        }
      }
      std::printf("checked %llu snapshots, %llu chunks, %s\n",
                  static_cast<unsigned long long>(report->snapshots),
                  static_cast<unsigned long long>(report->chunks_checked),
                  HumanBytes(report->bytes_checked).c_str());
      if (!report->sound()) {
        std::printf("store is DAMAGED: %zu chunks, %zu manifests\n", report->damaged_chunks.size(),
                    report->damaged_manifests.size());
        return 1;
      }
      std::printf("store is sound\n");
      return 0;
    };
  });
}

}  // namespace cairn::ctl
