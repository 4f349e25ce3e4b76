#include "agent/resource_restore_command.h"

#include <cstdio>
#include <memory>

#include "agent/kube_connection.h"
#include "agent/resource_restore.h"
#include "core/base/file_system.h"
#include "core/cli/progress_line.h"

namespace cairn {
namespace {

constexpr std::uint64_t kMaxTransformFile = 4 << 20;

struct Opts {
  std::string snapshot, name = "resources", from_dir, to_dir;
  std::vector<std::string> include_ns, exclude_ns, include_res, exclude_res;
  std::string selector, app, app_label = "app.kubernetes.io/name";
  std::string cluster_resources = "auto", existing = "skip";
  std::vector<std::string> namespace_mapping, storage_class_mapping;
  std::string transform;
  bool dry_run = false;
  int crd_wait_seconds = 30;
  int threads = 0;
  KubeFlags kube;
};

Result<ResourceRestoreOptions> BuildOptions(const Opts& o) {
  ResourceRestoreOptions options;
  kube::SelectionOptions& sel = options.plan.selection;
  sel.include_namespaces = o.include_ns;
  sel.exclude_namespaces = o.exclude_ns;
  sel.include_resources = o.include_res;
  sel.exclude_resources = o.exclude_res;
  sel.selector = o.selector;
  sel.app = o.app;
  sel.app_label = o.app_label;
  CAIRN_ASSIGN_OR_RETURN(sel.cluster_resources, kube::ParseClusterResources(o.cluster_resources));
  CAIRN_ASSIGN_OR_RETURN(options.existing, kube::ParseExistingPolicy(o.existing));
  kube::TransformOptions& t = options.plan.transforms;
  CAIRN_ASSIGN_OR_RETURN(t.namespace_mapping,
                         kube::ParseMapping(o.namespace_mapping, "--namespace-mapping"));
  CAIRN_ASSIGN_OR_RETURN(t.storage_class_mapping,
                         kube::ParseMapping(o.storage_class_mapping, "--storage-class-mapping"));
  if (!o.transform.empty()) {
    Result<Bytes> text = ReadWholeFile(DefaultFileSystem(), o.transform, kMaxTransformFile);
    if (!text.ok()) return text.error().WithContext("--transform " + o.transform);
    CAIRN_ASSIGN_OR_RETURN(
        t.rules, kube::ParseTransformRules(
                     std::string_view(reinterpret_cast<const char*>(text->data()), text->size()),
                     o.transform));
  }
  options.dry_run = o.dry_run;
  options.to_dir = o.to_dir;
  options.crd_wait = std::chrono::seconds(o.crd_wait_seconds);
  options.plan_out = stdout;
  return options;
}

std::string RenderProgress(const JobProgress& p, double secs) {
  char line[128];
  std::snprintf(line, sizeof(line), "restore-resources  %llu/%llu objects  %.0f s",
                static_cast<unsigned long long>(p.entries.load(std::memory_order_relaxed)),
                static_cast<unsigned long long>(p.bytes_total.load(std::memory_order_relaxed)),
                secs);
  return line;
}

}  // namespace

void RegisterRestoreResourcesCommand(CLI::App& app, AgentCommandFlags& flags) {
  auto* cmd = app.add_subcommand(
      "restore-resources",
      "restore Kubernetes objects from a resources snapshot: into a cluster, as a dry-run "
      "plan, or as YAML files");
  auto o = std::make_shared<Opts>();
  cmd->add_option("--state-dir", flags.state_dir, "the agent's state directory");
  auto* snapshot =
      cmd->add_option("--snapshot", o->snapshot, "snapshot id, unique prefix, or latest");
  cmd->add_option("--name", o->name, "with --snapshot latest: the newest of this name")
      ->capture_default_str();
  auto* from_dir = cmd->add_option("--from-dir", o->from_dir,
                                   "an extracted resources snapshot (instead of --snapshot)");
  snapshot->excludes(from_dir);
  cmd->add_option("--include-namespaces", o->include_ns, "only these namespaces (comma list)")
      ->delimiter(',');
  cmd->add_option("--exclude-namespaces", o->exclude_ns, "not these namespaces")->delimiter(',');
  cmd->add_option("--include-resources", o->include_res,
                  "only these types (deployments, deployments.apps, widgets.example.com)")
      ->delimiter(',');
  cmd->add_option("--exclude-resources", o->exclude_res, "not these types")->delimiter(',');
  cmd->add_option("--selector,-l", o->selector, "label selector (app=web,tier!=cache)");
  cmd->add_option("--app", o->app, "one application: objects labelled APP_LABEL=NAME");
  cmd->add_option("--app-label", o->app_label, "the label --app matches")->capture_default_str();
  cmd->add_option("--cluster-resources", o->cluster_resources,
                  "auto (all on a full restore; only the needed Namespaces and PVs when "
                  "filtered), yes, no")
      ->capture_default_str();
  cmd->add_option("--existing", o->existing, "objects that exist: skip or update")
      ->capture_default_str();
  cmd->add_option("--namespace-mapping", o->namespace_mapping, "old=new[,old2=new2]");
  cmd->add_option("--storage-class-mapping", o->storage_class_mapping, "old=new[,old2=new2]");
  cmd->add_option("--transform", o->transform,
                  "YAML/JSON list of {match: {group, kind, namespace, name, selector}, patch: "
                  "[RFC 6902 ops]}");
  cmd->add_flag("--dry-run", o->dry_run, "print the plan, change nothing");
  cmd->add_option("--to-dir", o->to_dir, "write YAML files for kubectl apply -R -f DIR instead");
  cmd->add_option("--crd-wait", o->crd_wait_seconds,
                  "seconds to wait for restored CRDs to be served")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--threads", o->threads, "download workers (default: one per core)");
  AddKubeFlags(*cmd, o->kube);
  cmd->callback([&flags, o] {
    if (o->snapshot.empty() && o->from_dir.empty()) {
      flags.exit_code = CommandFailed(Status::InvalidArgument(
          "restore-resources needs --snapshot ID|latest (from the appliance) or --from-dir DIR"));
      return;
    }
    auto options = BuildOptions(*o);
    if (!options.ok()) {
      flags.exit_code = CommandFailed(options.error());
      return;
    }
    std::optional<AgentState> state;
    ResourceSetSource source;
    source.from_dir = o->from_dir;
    if (o->from_dir.empty()) {
      auto loaded = AgentState::Load(flags.state_dir);
      if (!loaded.ok()) {
        flags.exit_code = CommandFailed(loaded.error());
        return;
      }
      state = std::move(*loaded);
      source.state = &*state;
      source.request.snapshot = o->snapshot;
      if (o->snapshot == "latest") source.request.name = o->name;
      source.request.threads = o->threads;
    }
    std::unique_ptr<kube::KubeClient> client;
    if (o->to_dir.empty()) {
      auto connected = ConnectKube(o->kube, flags);
      if (connected.ok()) {
        client = std::move(*connected);
      } else if (!o->dry_run) {
        flags.exit_code = CommandFailed(connected.error().WithContext(
            "no Kubernetes API to restore into (--to-dir DIR writes YAML instead)"));
        return;
      } else {
        std::fprintf(stderr, "cairn-agent: %s; the plan is shown without existence checks\n",
                     connected.error().message().c_str());
      }
    }
    JobProgress progress;
    auto result = [&] {
      ProgressLine line(progress, RenderProgress);
      return RunResourceRestore(client.get(), source, *options, &progress);
    }();
    if (!result.ok()) {
      flags.exit_code =
          CommandFailed(result.error().WithContext("restore-resources failed, nothing restored"));
      return;
    }
    flags.exit_code = PrintResourceRestoreReport(*result, stdout);
  });
}

}  // namespace cairn
