#include "agent/volume_commands.h"

#include <chrono>
#include <cstdio>
#include <memory>

#include "agent/kube_connection.h"
#include "agent/volume_backup.h"
#include "agent/volume_restore.h"
#include "agent/volumes/kubelet_volumes.h"
#include "core/base/host_name.h"
#include "core/cli/job_report.h"
#include "core/cli/progress_line.h"

namespace cairn {
namespace {

void RegisterBackupVolumes(CLI::App& app, AgentCommandFlags& flags) {
  auto* cmd =
      app.add_subcommand("backup-volumes", "back up the files of the PVCs mounted on this node");
  struct Opts {
    VolumeBackupOptions backup;
    std::string kubelet_dir = "/var/lib/kubelet";
    bool no_hooks = false;
    bool no_cache = false;
    KubeFlags kube;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--state-dir", flags.state_dir, "the agent's state directory");
  AddKubeFlags(*cmd, o->kube);
  cmd->add_option("--node", o->backup.node, "this node's name (the pods' spec.nodeName)")
      ->required();
  cmd->add_option("--kubelet-dir", o->kubelet_dir, "the kubelet's root directory on this node");
  cmd->add_option("--name", o->backup.name, "snapshot family (default: volumes-NODE)");
  cmd->add_option("--include-namespaces", o->backup.include_namespaces,
                  "only PVCs of these namespaces (repeatable)");
  cmd->add_option("--pvc", o->backup.pvcs, "only this PVC, NAMESPACE/NAME (repeatable)");
  cmd->add_option("--tag", o->backup.tags, "a label to attach (repeatable)");
  cmd->add_option("--threads", o->backup.threads, "upload workers (default: two per core)");
  cmd->add_flag("--no-hooks", o->no_hooks, "do not run the pods' pre/post backup hooks");
  cmd->add_flag("--no-files-cache", o->no_cache, "read every file even if unchanged");
  cmd->callback([&flags, o] {
    auto state = AgentState::Load(flags.state_dir);
    if (!state.ok()) {
      flags.exit_code = CommandFailed(state.error());
      return;
    }
    auto client = ConnectKube(o->kube, flags);
    if (!client.ok()) {
      flags.exit_code = CommandFailed(client.error());
      return;
    }
    VolumeBackupOptions options = o->backup;
    options.kubelet_dir = o->kubelet_dir;
    options.run_hooks = !o->no_hooks;
    options.use_files_cache = !o->no_cache;
    JobProgress progress;
    ProgressLine line(progress, RenderBackupProgress);
    auto result = RunVolumeBackup(**client, *state, options, &progress);
    line.Stop();
    if (!result.ok()) {
      flags.exit_code =
          CommandFailed(result.error().WithContext("volume backup failed, no snapshot made"));
      return;
    }
    for (const std::string& v : result->volumes) std::printf("volume         %s\n", v.c_str());
    for (const volumes::HookResult& h : result->hooks) {
      std::printf("hook           %s (%lld ms)\n", h.Summary().c_str(),
                  static_cast<long long>(h.duration_ms));
    }
    std::printf("uploaded       %llu chunks (%llu bytes) of %llu new to this backup\n",
                static_cast<unsigned long long>(result->upload.chunks_uploaded),
                static_cast<unsigned long long>(result->upload.bytes_uploaded),
                static_cast<unsigned long long>(result->upload.chunks_offered));
    BackupResult summary = result->upload.backup;
    summary.warnings = result->warnings;  // mapping and hook warnings too
    PrintBackupSummary(summary);
  });
}

void RegisterRestoreVolumes(CLI::App& app, AgentCommandFlags& flags) {
  auto* cmd = app.add_subcommand("restore-volumes", "restore PVC files from a volume snapshot");
  struct Opts {
    VolumeRestoreOptions restore;
    std::string target;
    bool to_pvc_path = false;
    std::string node;
    std::string kubelet_dir = "/var/lib/kubelet";
    KubeFlags kube;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--state-dir", flags.state_dir, "the agent's state directory");
  AddKubeFlags(*cmd, o->kube);
  cmd->add_option("--snapshot", o->restore.snapshot, "snapshot id, unique prefix, or latest")
      ->required();
  cmd->add_option("--name", o->restore.name,
                  "with latest: the snapshot family (default: volumes-NODE)");
  cmd->add_option("--pvc", o->restore.pvcs,
                  "restore this PVC, NAMESPACE/NAME (repeatable; default: all in the snapshot)");
  auto* target = cmd->add_option("--target", o->target, "write DIR/<namespace>/<pvc>/...");
  auto* to_pvc = cmd->add_flag("--to-pvc-path", o->to_pvc_path,
                               "write each PVC's files where it is mounted on this node now");
  target->excludes(to_pvc);
  cmd->add_option("--node", o->node, "this node's name (default: the host name)");
  cmd->add_option("--kubelet-dir", o->kubelet_dir, "the kubelet's root directory on this node");
  cmd->add_option("--threads", o->restore.threads, "download workers (default: one per core)");
  cmd->callback([&flags, o] {
    if (o->target.empty() && !o->to_pvc_path) {
      flags.exit_code = CommandFailed(Status::InvalidArgument(
          "say where the files go: --target DIR, or --to-pvc-path to write them into the PVCs' "
          "current mounts on this node"));
      return;
    }
    auto state = AgentState::Load(flags.state_dir);
    if (!state.ok()) {
      flags.exit_code = CommandFailed(state.error());
      return;
    }
    const std::string node = o->node.empty() ? LocalHostName() : o->node;
    VolumeRestoreOptions options = o->restore;
    if (options.name.empty() && options.snapshot == "latest") {
      options.name = DefaultVolumeBackupName(node);
    }
    VolumeDestination destination;
    volumes::VolumeMap map;
    if (o->to_pvc_path) {
      auto client = ConnectKube(o->kube, flags);
      if (!client.ok()) {
        flags.exit_code = CommandFailed(client.error());
        return;
      }
      volumes::KubeletVolumesOptions kv;
      kv.node = node;
      kv.kubelet_dir = o->kubelet_dir;
      auto found = volumes::KubeletVolumes(kv).Discover(**client);
      if (!found.ok()) {
        flags.exit_code = CommandFailed(found.error());
        return;
      }
      map = std::move(*found);
      destination = [&map, node](const volumes::PvcRef& ref) -> Result<std::filesystem::path> {
        for (const volumes::MountedVolume& v : map.volumes) {
          if (v.pvc == ref) return v.host_path;
        }
        return Status::NotFound("PVC " + ref.ToString() + " is not mounted by any pod on node " +
                                node + "; start a pod that mounts it here, or use --target DIR");
      };
    } else {
      destination = TargetDirDestination(o->target);
    }
    JobProgress progress;
    auto start = std::chrono::steady_clock::now();
    ProgressLine line(progress, RenderRestoreProgress);
    auto result = RunVolumeRestore(*state, options, destination, &progress);
    line.Stop();
    if (!result.ok()) {
      flags.exit_code = CommandFailed(result.error().WithContext("volume restore failed"));
      return;
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::uint64_t files = 0, bytes = 0;
    for (const VolumeRestoreItem& v : result->volumes) {
      std::printf("restored %s to %s: %llu files, %llu bytes\n", v.pvc.ToString().c_str(),
                  v.destination.string().c_str(), static_cast<unsigned long long>(v.result.files),
                  static_cast<unsigned long long>(v.result.bytes));
      files += v.result.files;
      bytes += v.result.bytes;
    }
    std::printf("snapshot %s: %zu volume(s), %llu files, %llu bytes in %.2f s\n",
                result->snapshot_id.c_str(), result->volumes.size(),
                static_cast<unsigned long long>(files), static_cast<unsigned long long>(bytes),
                secs);
    for (const std::string& e : result->errors)
      std::fprintf(stderr, "cairn-agent: %s\n", e.c_str());
    flags.exit_code = result->errors.empty() ? 0 : 1;
  });
}

}  // namespace

void RegisterVolumeCommands(CLI::App& app, AgentCommandFlags& flags) {
  RegisterBackupVolumes(app, flags);
  RegisterRestoreVolumes(app, flags);
}

}  // namespace cairn
