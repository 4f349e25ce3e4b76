// cairn-agent: enrolls with an appliance once, then backs up and restores
// directory trees through it. main only wires flags to the agent library.
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>

#include "agent/agent_commands.h"

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);  // a closed connection is an error result, not a signal
  // Chunk buffers and request bodies (64 KiB - 32 MiB) come and go by the
  // thousand; above glibc's 128 KiB default each would be a fresh mmap, page
  // faults and a kernel memset every time. Serve them from the heap instead
  // (as cairnctl does).
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  CLI::App app{"cairn-agent: back up this cluster's data to a Cairn appliance"};
  app.require_subcommand(1);
  cairn::AgentCommandFlags flags;
  // The environment is read here only (CONVENTIONS.md: no getenv elsewhere).
  if (const char* dir = std::getenv("CAIRN_AGENT_STATE_DIR")) flags.state_dir = dir;
  if (const char* url = std::getenv("CAIRN_APPLIANCE")) flags.appliance_url = url;
  if (const char* kc = std::getenv("KUBECONFIG")) flags.kubeconfig_env = kc;
  if (const char* h = std::getenv("KUBERNETES_SERVICE_HOST")) flags.kube_service_host = h;
  if (const char* p = std::getenv("KUBERNETES_SERVICE_PORT")) flags.kube_service_port = p;
  if (const char* home = std::getenv("HOME")) flags.home_dir = home;
  cairn::RegisterAgentCommands(app, flags);
  CLI11_PARSE(app, argc, argv);
  return flags.exit_code;
}
