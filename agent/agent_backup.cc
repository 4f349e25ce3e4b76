#include "agent/agent_backup.h"

#include "agent/appliance_client.h"
#include "agent/remote_backup_target.h"
#include "agent/remote_chunk_fetcher.h"
#include "core/engine/directory_source.h"

#include <thread>

namespace cairn {

Result<AgentBackupResult> RunAgentBackup(const AgentState& state, const std::string& path,
                                         const BackupRequest& request) {
  EntrySourceOpener open = [&path]() -> Result<std::unique_ptr<EntrySource>> {
    CAIRN_ASSIGN_OR_RETURN(auto source, DirectorySource::Open(path));
    return std::unique_ptr<EntrySource>(std::move(source));
  };
  return RunAgentBackup(state, open, request);
}

Result<AgentBackupResult> RunAgentBackup(const AgentState& state, const EntrySourceOpener& open,
                                         const BackupRequest& request) {
  AgentBackupResult out;
  BackupRequest req = request;
  // Each upload worker alternates between CPU (hash, compress) and waiting
  // on the appliance; twice the cores keeps the CPU busy meanwhile.
  if (req.threads <= 0) {
    req.threads = std::max(2, 2 * static_cast<int>(std::thread::hardware_concurrency()));
  }
  constexpr int kMaxAttempts = 2;
  for (int attempt = 1;; ++attempt) {
    out.attempts = attempt;
    CAIRN_ASSIGN_OR_RETURN(auto source, open());
    RemoteBackupTarget target(state);
    auto result = RunBackup(target, *source, req);
    out.chunks_offered += target.counters().chunks_offered;
    out.chunks_uploaded += target.counters().chunks_uploaded;
    out.bytes_uploaded += target.counters().bytes_uploaded;
    if (!result.ok()) {
      if (result.error().retryable() && attempt < kMaxAttempts) {
        // Chunks the appliance lost (a restart mid-upload, GC, quarantine):
        // files the files cache would reuse with them are read again.
        req.absent_chunks.insert(req.absent_chunks.end(), target.missing_at_commit().begin(),
                                 target.missing_at_commit().end());
        continue;
      }
      return result.error();
    }
    out.backup = std::move(*result);
    out.backup.figures.bytes_new = target.appliance_bytes_new();
    out.backup.figures.bytes_stored = target.appliance_bytes_stored();
    out.replication = target.replication();
    // A fall-back to asynchronous replication is worth a warning wherever
    // the backup is reported (resources, volumes, scheduled jobs).
    for (const std::string& line : out.replication) {
      if (line.find("asynchronous") != std::string::npos) out.backup.warnings.push_back("replication " + line);
    }
    return out;
  }
}

Result<RestoreResult> RunAgentRestore(const AgentState& state, const RestoreRequest& request,
                                      EntrySink& sink) {
  CAIRN_ASSIGN_OR_RETURN(auto client, ApplianceClient::Connect(state));
  CAIRN_ASSIGN_OR_RETURN(Manifest manifest, client->GetManifest(request.snapshot, request.name));
  std::vector<std::unique_ptr<ChunkFetcher>> fetchers;
  for (int i = 0; i < RestoreThreads(request); ++i) {
    CAIRN_ASSIGN_OR_RETURN(auto c, ApplianceClient::Connect(state));
    fetchers.push_back(
        std::make_unique<RemoteChunkFetcher>(std::move(c), manifest.snapshot_id, state.dedup));
  }
  return RestoreManifest(manifest, std::move(fetchers), request, sink);
}

Result<std::vector<SnapshotRecord>> ListAgentSnapshots(const AgentState& state,
                                                       const std::optional<std::string>& name) {
  CAIRN_ASSIGN_OR_RETURN(auto client, ApplianceClient::Connect(state));
  return client->ListSnapshots(name);
}

}  // namespace cairn
