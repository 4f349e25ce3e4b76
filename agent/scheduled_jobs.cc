#include "agent/scheduled_jobs.h"

#include "agent/agent_backup.h"
#include "agent/appliance_client.h"
#include "agent/resource_backup.h"
#include "agent/volume_backup.h"

namespace cairn {
namespace {

// A schedule list is a few hundred bytes per schedule; the appliance bounds
// the count. Anything far larger is not a schedule list.
constexpr std::size_t kMaxScheduleListBytes = 1 << 20;

JobOutcome FromBackup(const AgentBackupResult& r, std::string name) {
  JobOutcome o;
  o.snapshot_id = r.backup.snapshot_id;
  o.snapshot_name = std::move(name);
  o.files = r.backup.figures.files;
  o.bytes = r.backup.figures.bytes_logical;
  o.bytes_new = r.backup.figures.bytes_new;
  o.bytes_uploaded = r.bytes_uploaded;
  o.warnings = r.backup.warnings;
  return o;
}

}  // namespace

Result<JobOutcome> AgentJobRunner::Run(const ScheduleConfig& schedule) {
  switch (schedule.kind) {
    case JobKind::kDirectory:
      return RunDirectory(schedule);
    case JobKind::kResources:
      return RunResources(schedule);
    case JobKind::kVolumes:
      return RunVolumes(schedule);
  }
  return Status::InvalidArgument("schedule \"" + schedule.name + "\": unknown kind");
}

Result<JobOutcome> AgentJobRunner::RunDirectory(const ScheduleConfig& s) {
  BackupRequest request;
  request.name = s.snapshot_name;
  request.tags = {"schedule=" + s.name};
  CAIRN_ASSIGN_OR_RETURN(AgentBackupResult r,
                         RunAgentBackup(state_, s.directory.path, request));
  return FromBackup(r, s.snapshot_name);
}

Result<JobOutcome> AgentJobRunner::RunResources(const ScheduleConfig& s) {
  CAIRN_ASSIGN_OR_RETURN(kube::KubeClient * kube, Kube());
  ResourceBackupOptions options;
  options.name = s.snapshot_name;
  options.include_namespaces = s.resources.include_namespaces;
  options.exclude_namespaces = s.resources.exclude_namespaces;
  options.include_resources = s.resources.include_resources;
  options.exclude_resources = s.resources.exclude_resources;
  options.selector = s.resources.selector;
  options.tags = {"schedule=" + s.name};
  CAIRN_ASSIGN_OR_RETURN(ResourceBackupResult r,
                         RunResourceBackup(*kube, state_, options, /*progress=*/nullptr));
  JobOutcome o = FromBackup(r.upload, s.snapshot_name);
  o.items = r.index.objects;
  o.warnings.insert(o.warnings.end(), r.index.warnings.begin(), r.index.warnings.end());
  return o;
}

Result<JobOutcome> AgentJobRunner::RunVolumes(const ScheduleConfig& s) {
  CAIRN_ASSIGN_OR_RETURN(kube::KubeClient * kube, Kube());
  VolumeBackupOptions options;
  options.name = s.snapshot_name;  // "": volumes-<node>
  options.node = node_name_;
  options.kubelet_dir = config_.kubelet_dir;
  options.include_namespaces = s.volumes.include_namespaces;
  options.tags = {"schedule=" + s.name};
  CAIRN_ASSIGN_OR_RETURN(VolumeBackupResult r,
                         RunVolumeBackup(*kube, state_, options, /*progress=*/nullptr));
  JobOutcome o = FromBackup(
      r.upload, options.name.empty() ? DefaultVolumeBackupName(node_name_) : options.name);
  o.items = r.volumes.size();
  o.warnings.insert(o.warnings.end(), r.warnings.begin(), r.warnings.end());
  return o;
}

Result<kube::KubeClient*> AgentJobRunner::Kube() {
  if (!kube_) {
    KubeFlags flags;
    flags.kubeconfig = config_.kubeconfig.string();
    flags.context = config_.context;
    CAIRN_ASSIGN_OR_RETURN(kube_, ConnectKube(flags, env_));
  }
  return kube_.get();
}

Result<std::vector<nlohmann::json>> ApplianceScheduleSource::Fetch() {
  CAIRN_ASSIGN_OR_RETURN(auto client, ApplianceClient::Connect(state_));
  CAIRN_ASSIGN_OR_RETURN(std::string body, client->GetSchedules());
  if (body.size() > kMaxScheduleListBytes) {
    return Status::InvalidArgument("fetch schedules: the reply is larger than 1 MiB");
  }
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("schedules") || !j["schedules"].is_array()) {
    return Status::InvalidArgument("fetch schedules: the reply has no \"schedules\" array");
  }
  return j["schedules"].get<std::vector<nlohmann::json>>();
}

}  // namespace cairn
