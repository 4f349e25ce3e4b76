#include "agent/kube_connection.h"

#include <filesystem>

namespace cairn {

void AddKubeFlags(CLI::App& cmd, KubeFlags& kube) {
  cmd.add_option("--kubeconfig", kube.kubeconfig,
                 "kubeconfig file (default: $KUBECONFIG, in-cluster account, ~/.kube/config)");
  cmd.add_option("--context", kube.context, "kubeconfig context (default: current-context)");
  cmd.add_option("--kube-qps", kube.qps, "API requests per second, sustained")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--kube-burst", kube.burst, "API requests allowed in a burst")
      ->check(CLI::PositiveNumber);
}

Result<kube::KubeConfig> SelectKubeConfig(const KubeFlags& kube, const AgentCommandFlags& env) {
  if (!kube.kubeconfig.empty()) return kube::LoadKubeconfig(kube.kubeconfig, kube.context);
  if (!env.kubeconfig_env.empty()) {
    // $KUBECONFIG is a ':'-separated list; merging several files is not
    // supported, the first one is used.
    std::string first = env.kubeconfig_env.substr(0, env.kubeconfig_env.find(':'));
    return kube::LoadKubeconfig(first, kube.context);
  }
  if (!env.kube_service_host.empty()) {
    kube::InClusterEnv in_cluster;
    in_cluster.service_host = env.kube_service_host;
    in_cluster.service_port = env.kube_service_port;
    return kube::LoadInClusterConfig(in_cluster);
  }
  std::filesystem::path home = env.home_dir.empty() ? "/root" : env.home_dir;
  auto config = kube::LoadKubeconfig(home / ".kube/config", kube.context);
  if (!config.ok() && config.error().IsNotFound()) {
    return Status::NotFound(
        "no Kubernetes API configured: pass --kubeconfig FILE, set KUBECONFIG, or run in a pod");
  }
  return config;
}

Result<std::unique_ptr<kube::KubeClient>> ConnectKube(const KubeFlags& kube,
                                                      const AgentCommandFlags& env) {
  CAIRN_ASSIGN_OR_RETURN(kube::KubeConfig config, SelectKubeConfig(kube, env));
  kube::KubeClientOptions options;
  options.config = std::move(config);
  options.qps = kube.qps;
  options.burst = kube.burst;
  return kube::KubeClient::Create(std::move(options));
}

}  // namespace cairn
