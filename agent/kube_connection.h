// The --kubeconfig/--context flags every Kubernetes command of cairn-agent
// takes, and turning them into a KubeClient: an explicit --kubeconfig wins,
// then $KUBECONFIG (its first file), then the in-cluster service account
// when KUBERNETES_SERVICE_HOST is set, then ~/.kube/config.
// Thread-safety: call from the command's thread.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "agent/agent_commands.h"
#include "agent/kube/kube_client.h"

namespace cairn {

struct KubeFlags {
  std::string kubeconfig;
  std::string context;
  double qps = 50;
  int burst = 300;  // as KubeClientOptions
};

void AddKubeFlags(CLI::App& cmd, KubeFlags& kube);

// The config the flags and environment select (see above).
Result<kube::KubeConfig> SelectKubeConfig(const KubeFlags& kube, const AgentCommandFlags& env);
Result<std::unique_ptr<kube::KubeClient>> ConnectKube(const KubeFlags& kube,
                                                      const AgentCommandFlags& env);

}  // namespace cairn
