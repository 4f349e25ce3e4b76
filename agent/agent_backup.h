// The agent's jobs over the ingest API: a directory backup into the
// appliance (the engine's pipeline with a RemoteBackupTarget), a restore from
// it (RestoreManifest with RemoteChunkFetchers), and the snapshot list.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "agent/agent_state.h"
#include "core/engine/backup.h"
#include "core/engine/restore.h"

namespace cairn {

struct AgentBackupResult {
  BackupResult backup;  // figures of new chunks are the appliance's
  std::uint64_t chunks_offered = 0;   // chunks new to this backup, asked about
  std::uint64_t chunks_uploaded = 0;  // of those, the ones the appliance lacked
  std::uint64_t bytes_uploaded = 0;
  int attempts = 0;
  // Synchronous replication targets, one line each (empty when none).
  std::vector<std::string> replication;
};

// Opens a fresh source for each attempt (a source is read once).
using EntrySourceOpener = std::function<Result<std::unique_ptr<EntrySource>>()>;

// If the appliance lost chunks it had acknowledged (a restart mid-upload),
// the backup runs once more; that run sends exactly those.
Result<AgentBackupResult> RunAgentBackup(const AgentState& state, const EntrySourceOpener& open,
                                         const BackupRequest& request);
// A directory tree (DirectorySource).
Result<AgentBackupResult> RunAgentBackup(const AgentState& state, const std::string& path,
                                         const BackupRequest& request);
Result<RestoreResult> RunAgentRestore(const AgentState& state, const RestoreRequest& request,
                                      EntrySink& sink);
Result<std::vector<SnapshotRecord>> ListAgentSnapshots(const AgentState& state,
                                                       const std::optional<std::string>& name);

}  // namespace cairn
