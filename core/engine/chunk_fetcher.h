// ChunkFetcher: where a restore reads chunks from -- the local store
// (StoreChunkFetcher) or an appliance over the network (the agent's). Every
// fetcher returns plaintext it has proved to be the chunk asked for (the id
// is a keyed hash of the content), so a restore never writes unverified data.
// Thread-safety: one fetcher per thread.
#pragma once

#include <memory>

#include "core/base/bytes.h"
#include "core/base/chunk_id.h"
#include "core/base/status.h"
#include "core/store/chunk_reader.h"

namespace cairn {

class ChunkFetcher {
 public:
  virtual ~ChunkFetcher() = default;
  virtual Result<Bytes> Fetch(const ChunkId& id) = 0;
};

class StoreChunkFetcher : public ChunkFetcher {
 public:
  explicit StoreChunkFetcher(Store& store) : reader_(store) {}
  Result<Bytes> Fetch(const ChunkId& id) override { return reader_.Read(id); }

 private:
  ChunkReader reader_;
};

}  // namespace cairn
