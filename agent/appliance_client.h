// ApplianceClient: the agent's side of the ingest API (docs/protocol.md), one
// mTLS connection (kept alive) per object. Each backup worker and each
// restore prefetcher owns one, so requests run in parallel on as many
// connections.
// Thread-safety: one thread per object.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/agent_state.h"
#include "core/base/chunk_id.h"
#include "core/catalog/catalog.h"
#include "core/crypto/sealed_object.h"
#include "core/net/https_client.h"
#include "core/store/manifest.h"

namespace cairn {

struct CommitReply {
  std::string snapshot_id;
  std::uint64_t manifest_bytes = 0;
  std::uint64_t chunks_new = 0;
  std::uint64_t bytes_new = 0;
  std::uint64_t bytes_stored = 0;
  std::vector<ChunkId> missing;  // non-empty: refused, nothing committed
  // Synchronous replication targets: one line each, "site-b: replicated" or
  // why the snapshot went asynchronously (docs/api.md).
  std::vector<std::string> replication;
};

class ApplianceClient {
 public:
  static Result<std::unique_ptr<ApplianceClient>> Connect(const AgentState& state);

  Result<std::vector<ChunkId>> Missing(const std::vector<ChunkId>& ids);
  Status UploadBatch(const std::string& body);
  Result<CommitReply> Commit(const std::string& manifest_json);
  Result<std::vector<SnapshotRecord>> ListSnapshots(const std::optional<std::string>& name);
  // spec: id, id prefix or "latest" (with name). NotFound when none.
  Result<Manifest> GetManifest(const std::string& spec, const std::optional<std::string>& name);
  Result<OpenedPayload> GetChunk(const std::string& snapshot_id, const ChunkId& id);
  // GET /v1/agent/schedules: {"cluster":..,"schedules":[..]} of this agent's cluster.
  Result<std::string> GetSchedules();

 private:
  explicit ApplianceClient(std::unique_ptr<HttpsClient> http) : http_(std::move(http)) {}
  Result<HttpsResponse> Call(HttpsRequest spec, std::string_view what);

  std::unique_ptr<HttpsClient> http_;
};

}  // namespace cairn
