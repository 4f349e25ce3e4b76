// What `cairn-agent run` does when a schedule fires, and where it gets the
// appliance's schedules from. Both are interfaces so the run loop
// (run_command.h) is tested with fakes and a FakeClock; the real ones are
// here:
//
//  - AgentJobRunner: directory -> RunAgentBackup (agent_backup.h),
//    resources -> RunResourceBackup (agent/resource_backup.h),
//    volumes -> RunVolumeBackup (agent/volume_backup.h) for this agent's
//    node, each committing one snapshot to the appliance. The Kubernetes
//    client is made on first use and kept.
//  - ApplianceScheduleSource: GET /v1/agent/schedules over the agent's mTLS
//    identity (docs/protocol.md).
//
// Thread-safety: one thread (the run loop) per object.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/agent_commands.h"
#include "agent/agent_config.h"
#include "agent/agent_state.h"
#include "agent/kube_connection.h"

namespace cairn {

// The figures a finished job reports (one log line).
struct JobOutcome {
  std::string snapshot_id;
  std::string snapshot_name;
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;      // logical bytes of the snapshot
  std::uint64_t bytes_new = 0;  // plaintext new to the appliance
  std::uint64_t bytes_uploaded = 0;
  std::uint64_t items = 0;  // objects or volumes, where the kind counts them
  std::vector<std::string> warnings;
};

class JobRunner {
 public:
  virtual ~JobRunner() = default;
  // Runs one job to the end; an error means no snapshot was committed.
  virtual Result<JobOutcome> Run(const ScheduleConfig& schedule) = 0;
};

class ScheduleSource {
 public:
  virtual ~ScheduleSource() = default;
  // The appliance's schedules for this agent's cluster, as JSON objects
  // ({"name","cron","kind","options"}); Unavailable when unreachable.
  virtual Result<std::vector<nlohmann::json>> Fetch() = 0;
};

class AgentJobRunner final : public JobRunner {
 public:
  // `config` and `env` choose the Kubernetes connection and the node; all
  // three must outlive the runner.
  AgentJobRunner(const AgentState& state, const AgentConfig& config, const AgentCommandFlags& env,
                 std::string node_name)
      : state_(state), config_(config), env_(env), node_name_(std::move(node_name)) {}

  Result<JobOutcome> Run(const ScheduleConfig& schedule) override;

 private:
  Result<JobOutcome> RunDirectory(const ScheduleConfig& s);
  Result<JobOutcome> RunResources(const ScheduleConfig& s);
  Result<JobOutcome> RunVolumes(const ScheduleConfig& s);
  Result<kube::KubeClient*> Kube();

  const AgentState& state_;
  const AgentConfig& config_;
  const AgentCommandFlags& env_;
  std::string node_name_;
  std::unique_ptr<kube::KubeClient> kube_;
};

class ApplianceScheduleSource final : public ScheduleSource {
 public:
  explicit ApplianceScheduleSource(const AgentState& state) : state_(state) {}
  Result<std::vector<nlohmann::json>> Fetch() override;

 private:
  const AgentState& state_;
};

}  // namespace cairn
