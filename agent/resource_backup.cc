#include "agent/resource_backup.h"

#include <chrono>
#include <memory>
#include <optional>

#include "agent/resources/resource_filter.h"
#include "agent/resources/resource_source.h"

namespace cairn {
namespace {

constexpr int kMaxPageSize = 10000;

Status ApplianceUnreachable(const AgentState& state, const Status& cause) {
  return Status::Unavailable("appliance unreachable at " + state.appliance_url + ": " +
                             cause.message() +
                             "; nothing was committed, run the backup again when it is back");
}

// What the source reports back to the job across the engine.
struct Outcome {
  std::optional<kube::ResourceIndex> index;
  bool cluster_failed = false;
};

}  // namespace

Result<ResourceBackupResult> RunResourceBackup(kube::KubeClient& client, const AgentState& state,
                                               const ResourceBackupOptions& options,
                                               JobProgress* progress) {
  const auto start = std::chrono::steady_clock::now();
  if (options.page_size < 1 || options.page_size > kMaxPageSize) {
    return Status::InvalidArgument("page size " + std::to_string(options.page_size) +
                                   " is out of range (1 to 10000)");
  }
  kube::ResourceFilterOptions fo;
  fo.include_namespaces = options.include_namespaces;
  fo.exclude_namespaces = options.exclude_namespaces;
  fo.include_resources = options.include_resources;
  fo.exclude_resources = options.exclude_resources;
  fo.selector = options.selector;
  fo.cluster_resources = options.cluster_resources;
  CAIRN_ASSIGN_OR_RETURN(kube::ResourceFilter filter, kube::ResourceFilter::Create(fo));

  // Ask the appliance before listing a whole cluster for nothing.
  if (auto probe = ListAgentSnapshots(state, options.name); !probe.ok()) {
    if (probe.error().retryable()) return ApplianceUnreachable(state, probe.error());
    return probe.error().WithContext("ask the appliance at " + state.appliance_url);
  }

  auto outcome = std::make_shared<Outcome>();
  const auto taken_at = std::chrono::system_clock::now();
  EntrySourceOpener open = [&, outcome]() -> Result<std::unique_ptr<EntrySource>> {
    kube::ResourceSourceOptions so;
    so.cluster = state.cluster;
    so.taken_at = taken_at;
    so.collector.page_size = options.page_size;
    so.on_index = [outcome](const kube::ResourceIndex& index) { outcome->index = index; };
    so.on_failure = [outcome](const Status&) { outcome->cluster_failed = true; };
    outcome->index.reset();
    outcome->cluster_failed = false;
    auto source = kube::ResourceSource::Create(client, filter, std::move(so));
    if (!source.ok()) {
      outcome->cluster_failed = true;
      return source.error();
    }
    return std::unique_ptr<EntrySource>(std::move(*source));
  };

  BackupRequest request;
  request.name = options.name;
  request.tags = options.tags;
  request.tags.push_back("kind=resources");
  request.threads = options.threads;
  request.use_files_cache = false;
  request.progress = progress;
  auto upload = RunAgentBackup(state, open, request);
  if (!upload.ok()) {
    if (!outcome->cluster_failed && upload.error().retryable()) {
      return ApplianceUnreachable(state, upload.error());
    }
    return upload.error();
  }
  if (!outcome->index) {
    return Status::Corruption("the backup finished without writing index.json (a bug)");
  }
  ResourceBackupResult result;
  result.upload = std::move(*upload);
  result.index = std::move(*outcome->index);
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace cairn
