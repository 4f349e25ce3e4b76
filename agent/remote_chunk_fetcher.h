// RemoteChunkFetcher: the engine's ChunkFetcher for an agent's restore --
// chunks of one snapshot from the appliance (GET /v1/snapshots/{id}/chunks/
// {chunk}), decoded here and checked against their id under the agent's id
// key, so a restore is verified end to end whatever the network or the
// appliance did.
// Thread-safety: one per prefetch thread (each has its own connection).
#pragma once

#include "agent/appliance_client.h"
#include "core/crypto/chunk_hasher.h"
#include "core/engine/chunk_fetcher.h"

namespace cairn {

class RemoteChunkFetcher : public ChunkFetcher {
 public:
  RemoteChunkFetcher(std::unique_ptr<ApplianceClient> client, std::string snapshot_id,
                     const DedupParams& dedup)
      : client_(std::move(client)),
        snapshot_id_(std::move(snapshot_id)),
        hasher_(dedup.id_key),
        max_plain_(dedup.chunker.max_size) {}

  Result<Bytes> Fetch(const ChunkId& id) override;

 private:
  std::unique_ptr<ApplianceClient> client_;
  std::string snapshot_id_;
  ChunkHasher hasher_;
  Decompressor decompressor_;
  std::size_t max_plain_;
};

}  // namespace cairn
