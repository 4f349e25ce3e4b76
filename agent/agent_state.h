// AgentState: what `cairn-agent enroll` leaves in its state directory and
// every later command reads back.
//
//   <dir>/agent.json   {"version":1,"appliance":"https://..","agent_id":..,"cluster":..}
//   <dir>/ca.crt       the appliance CA (pinned at enrollment)
//   <dir>/agent.crt    this agent's client certificate
//   <dir>/agent.key    its private key                      (mode 0600)
//   <dir>/dedup.json   chunker parameters + id key + gear table (mode 0600)
//
// Files are written atomically; the directory is created 0700. Nothing here
// is the store's data key: an agent can name chunks, never decrypt them.
// Thread-safety: plain value.
#pragma once

#include <filesystem>
#include <string>

#include "core/base/status.h"
#include "core/engine/backup_target.h"

namespace cairn {

struct AgentState {
  static constexpr int kVersion = 1;
  std::string appliance_url;
  std::string agent_id;
  std::string cluster;
  std::string ca_pem;
  std::string cert_pem;
  std::string key_pem;
  DedupParams dedup;

  // Refuses to overwrite an enrolled state (AlreadyExists, saying so).
  Status SaveNew(const std::filesystem::path& dir) const;
  // NotFound with "run cairn-agent enroll first" when the directory has no
  // enrollment; InvalidArgument naming the file for anything malformed.
  static Result<AgentState> Load(const std::filesystem::path& dir);
};

}  // namespace cairn
