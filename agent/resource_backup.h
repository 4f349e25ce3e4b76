// The resources backup job: every listed Kubernetes object of a cluster
// (filtered as the options say) into one snapshot on the appliance, tagged
// kind=resources, in the layout of agent/resources/resource_layout.h. Used
// by `cairn-agent backup-resources` and by the scheduler.
//
// Nothing partial is committed: a list that fails (other than 403, which is
// a skipped type and a warning) or an appliance that goes away fails the
// whole backup, and the engine commits the manifest only at the very end.
// The appliance is asked first (one cheap request), so an unreachable
// appliance fails at once instead of after listing the cluster.
//
// Thread-safety: one job at a time per KubeClient (it drives the client on
// the engine's walker thread); the engine uploads on its own workers.
#pragma once

#include <string>
#include <vector>

#include "agent/agent_backup.h"
#include "agent/agent_state.h"
#include "agent/kube/kube_client.h"
#include "agent/resources/resource_layout.h"
#include "core/engine/progress.h"

namespace cairn {

struct ResourceBackupOptions {
  std::string name = "resources";  // snapshot family
  std::vector<std::string> include_namespaces, exclude_namespaces, include_resources,
      exclude_resources;
  std::string selector;                    // label selector
  std::string cluster_resources = "auto";  // auto, yes, no (resource_filter.h)
  int page_size = 500;                     // objects per list request (1..10000)
  std::vector<std::string> tags;           // "kind=resources" is always added
  int threads = 0;                         // upload workers; 0: the engine's default
};

struct ResourceBackupResult {
  AgentBackupResult upload;
  kube::ResourceIndex index;
  double seconds = 0;  // wall time of the whole job
};

// InvalidArgument for bad options (before anything is contacted); the
// cluster's errors with the type named; Unavailable saying the appliance is
// unreachable and nothing was committed.
Result<ResourceBackupResult> RunResourceBackup(kube::KubeClient& client, const AgentState& state,
                                               const ResourceBackupOptions& options,
                                               JobProgress* progress);

}  // namespace cairn
