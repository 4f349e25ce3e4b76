// The cairn-agent subcommands (enroll, backup, restore, snapshots), each a
// CLI11 subcommand whose callback runs the job and sets the exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "core/base/status.h"

namespace cairn {

struct AgentCommandFlags {
  std::string state_dir = "/var/lib/cairn-agent";
  std::string appliance_url;
  // Where the Kubernetes API is (read from the environment by main):
  // KUBECONFIG, and KUBERNETES_SERVICE_HOST/PORT inside a pod.
  std::string kubeconfig_env;
  std::string kube_service_host;
  std::string kube_service_port;
  std::string home_dir;  // $HOME, for ~/.kube/config
  int exit_code = 0;
};

void RegisterAgentCommands(CLI::App& app, AgentCommandFlags& flags);

// Prints "cairn-agent: <status>" to stderr and returns the exit code 1: how
// every subcommand reports the error that stopped it.
int CommandFailed(const Status& s);

}  // namespace cairn
