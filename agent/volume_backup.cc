#include "agent/volume_backup.h"

#include <memory>

#include "agent/volumes/kubelet_volumes.h"
#include "agent/volumes/volume_source.h"
#include "core/base/log.h"

namespace cairn {

using volumes::HookPod;
using volumes::HookRunner;
using volumes::VolumeDir;

std::string DefaultVolumeBackupName(const std::string& node) { return "volumes-" + node; }

Result<VolumeBackupResult> RunVolumeBackup(kube::KubeClient& client, const AgentState& state,
                                           const VolumeBackupOptions& options,
                                           JobProgress* progress) {
  volumes::KubeletVolumesOptions kv;
  kv.node = options.node;
  kv.kubelet_dir = options.kubelet_dir;
  kv.include_namespaces = options.include_namespaces;
  for (const std::string& text : options.pvcs) {
    CAIRN_ASSIGN_OR_RETURN(volumes::PvcRef ref, volumes::ParsePvcRef(text));
    kv.pvcs.push_back(std::move(ref));
  }
  const std::string name =
      options.name.empty() ? DefaultVolumeBackupName(options.node) : options.name;
  CAIRN_RETURN_IF_ERROR(ValidateSnapshotName(name));
  CAIRN_ASSIGN_OR_RETURN(volumes::VolumeMap map, volumes::KubeletVolumes(kv).Discover(client));

  VolumeBackupResult out;
  out.warnings = map.warnings;
  std::vector<VolumeDir> dirs;
  for (const volumes::MountedVolume& v : map.volumes) {
    dirs.push_back(VolumeDir{v.pvc, v.host_path});
    out.volumes.push_back(v.pvc.ToString() + " (pv " + v.pv + ", pod " + v.pod + ", " +
                          v.host_path.string() + ")");
  }
  if (dirs.empty()) {
    return Status::NotFound("no PVC to back up on node " + options.node +
                            (map.warnings.empty() ? std::string(" (no pod of the node mounts one)")
                                                  : "; " + map.warnings.front()));
  }
  std::sort(dirs.begin(), dirs.end(),
            [](const VolumeDir& a, const VolumeDir& b) { return a.pvc < b.pvc; });

  // Hooks: every pod mounting a volume, its annotations parsed up front so a
  // typo stops the backup before anything runs.
  std::vector<HookPod> hook_pods;
  std::vector<std::vector<std::size_t>> pods_of_volume(dirs.size());
  if (options.run_hooks) {
    std::map<std::string, std::size_t> index;  // "ns/name" -> hook_pods
    for (const volumes::NodePod& p : map.pods) {
      const std::string key = p.ns + "/" + p.name;
      CAIRN_ASSIGN_OR_RETURN(volumes::PodHooks hooks,
                             volumes::ParsePodHooks(p.annotations, p.containers, key));
      if (hooks.empty()) continue;
      index[key] = hook_pods.size();
      hook_pods.push_back(HookPod{p.ns, p.name, std::move(hooks)});
    }
    for (std::size_t i = 0; i < dirs.size(); ++i) {
      for (const volumes::MountedVolume& v : map.volumes) {
        if (v.pvc != dirs[i].pvc) continue;
        for (const std::string& pod : v.pods) {
          auto it = index.find(v.pvc.ns + "/" + pod);
          if (it != index.end()) pods_of_volume[i].push_back(it->second);
        }
      }
    }
  }
  std::unique_ptr<volumes::PodExec> own_exec;
  volumes::PodExecutor* exec = options.executor;
  if (exec == nullptr && !hook_pods.empty()) {
    CAIRN_ASSIGN_OR_RETURN(own_exec, volumes::PodExec::Create(client.config()));
    exec = own_exec.get();
  }
  std::unique_ptr<HookRunner> hooks;
  if (!hook_pods.empty()) {
    hooks = std::make_unique<HookRunner>(*exec, std::move(hook_pods), pods_of_volume);
  }

  const std::string description = "volumes of node " + options.node;
  bool first_attempt = true;
  EntrySourceOpener open = [&]() -> Result<std::unique_ptr<EntrySource>> {
    if (hooks && !first_attempt) hooks->StartAttempt();
    first_attempt = false;
    CAIRN_ASSIGN_OR_RETURN(auto source,
                           volumes::VolumeSource::Open(dirs, description, hooks.get()));
    return std::unique_ptr<EntrySource>(std::move(source));
  };
  BackupRequest request;
  request.name = name;
  request.tags = {"kind=volumes", "node=" + options.node};
  request.tags.insert(request.tags.end(), options.tags.begin(), options.tags.end());
  request.threads = options.threads;
  request.use_files_cache = options.use_files_cache;
  request.progress = progress;
  Log(LogLevel::kInfo, "volume_backup_start",
      {{"node", options.node}, {"volumes", dirs.size()}, {"name", name}});
  auto upload = RunAgentBackup(state, open, request);
  if (hooks) {
    hooks->Finish();
    out.hooks = hooks->results();
    for (std::string& w : hooks->TakeWarnings()) out.warnings.push_back(std::move(w));
  }
  if (!upload.ok()) {
    std::string after;
    for (const volumes::HookResult& h : out.hooks) {
      if (h.after_failure) after += "; then " + h.Summary();
    }
    return Status(upload.error().code(), upload.error().message() + after);
  }
  out.upload = std::move(*upload);
  for (const std::string& w : out.upload.backup.warnings) out.warnings.push_back(w);
  return out;
}

}  // namespace cairn
