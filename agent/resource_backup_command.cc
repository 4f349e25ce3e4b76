#include "agent/resource_backup_command.h"

#include <cstdio>
#include <memory>

#include "agent/kube_connection.h"
#include "agent/resource_backup.h"
#include "core/cli/human.h"
#include "core/cli/job_report.h"
#include "core/cli/progress_line.h"

namespace cairn {
namespace {

std::string TypeName(const std::string& resource, const std::string& group) {
  return group.empty() ? resource : resource + "." + group;
}

void PrintSummary(const ResourceBackupResult& r, std::FILE* out) {
  const kube::ResourceIndex& index = r.index;
  std::uint64_t bytes = 0;
  for (const kube::IndexedResource& t : index.resources) bytes += t.bytes;
  std::fprintf(out, "cluster        %s (%s)\n", index.cluster.c_str(), index.server.c_str());
  std::fprintf(out, "objects        %llu in %zu types, %s\n",
               static_cast<unsigned long long>(index.objects), index.resources.size(),
               HumanBytes(bytes).c_str());
  for (const kube::SkippedResource& s : index.skipped) {
    std::fprintf(out, "skipped        %s: %s\n", TypeName(s.resource, s.group).c_str(),
                 s.reason.c_str());
  }
  std::fprintf(out, "uploaded       %llu chunks (%s) of %llu new to this backup\n",
               static_cast<unsigned long long>(r.upload.chunks_uploaded),
               HumanBytes(r.upload.bytes_uploaded).c_str(),
               static_cast<unsigned long long>(r.upload.chunks_offered));
  const double rate = r.seconds > 0 ? static_cast<double>(index.objects) / r.seconds : 0;
  std::fprintf(out, "time           %.2f s (%.0f objects/s)\n", r.seconds, rate);
  for (const std::string& w : r.upload.backup.warnings) {
    std::fprintf(out, "warning        %s\n", w.c_str());
  }
  // The last line, as every backup command prints it: scripts read it.
  std::fprintf(out, "snapshot %s\n", r.upload.backup.snapshot_id.c_str());
}

}  // namespace

void RegisterBackupResourcesCommand(CLI::App& app, AgentCommandFlags& flags) {
  auto* cmd = app.add_subcommand("backup-resources",
                                 "back up the cluster's Kubernetes objects to the appliance");
  struct Opts {
    KubeFlags kube;
    ResourceBackupOptions backup;
  };
  auto o = std::make_shared<Opts>();
  ResourceBackupOptions& b = o->backup;
  cmd->add_option("--state-dir", flags.state_dir, "the agent's state directory");
  AddKubeFlags(*cmd, o->kube);
  cmd->add_option("--name", b.name, "snapshot family name (A-Z a-z 0-9 . _ -)")
      ->capture_default_str();
  cmd->add_option("--include-namespaces", b.include_namespaces,
                  "only these namespaces (comma-separated; default: all)")
      ->delimiter(',');
  cmd->add_option("--exclude-namespaces", b.exclude_namespaces, "leave these namespaces out")
      ->delimiter(',');
  cmd->add_option("--include-resources", b.include_resources,
                  "only these types: deployments, deployments.apps, widgets.example.com, * "
                  "(naming a type excluded by default takes it)")
      ->delimiter(',');
  cmd->add_option("--exclude-resources", b.exclude_resources, "leave these types out")
      ->delimiter(',');
  cmd->add_option("--selector", b.selector, "label selector, sent to the API server (app=web,...)");
  cmd->add_option("--cluster-resources", b.cluster_resources,
                  "cluster-scoped types: auto (unless --include-namespaces), yes, no")
      ->check(CLI::IsMember({"auto", "yes", "no"}))
      ->capture_default_str();
  cmd->add_option("--page-size", b.page_size, "objects per list request")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  cmd->add_option("--tag", b.tags, "a label to attach (repeatable; kind=resources is added)");
  cmd->add_option("--threads", b.threads, "upload workers (default: two per core)");
  cmd->callback([&flags, o] {
    auto fail = [&flags](const Status& s) { flags.exit_code = CommandFailed(s); };
    auto state = AgentState::Load(flags.state_dir);
    if (!state.ok()) return fail(state.error());
    auto client = ConnectKube(o->kube, flags);
    if (!client.ok()) return fail(client.error().WithContext("connect to the Kubernetes API"));
    JobProgress progress;
    ProgressLine line(progress, RenderBackupProgress);
    auto result = RunResourceBackup(**client, *state, o->backup, &progress);
    line.Stop();
    if (!result.ok()) {
      return fail(result.error().WithContext("resources backup failed, no snapshot made"));
    }
    PrintSummary(*result, stdout);
  });
}

}  // namespace cairn
