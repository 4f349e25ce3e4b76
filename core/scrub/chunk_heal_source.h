// ChunkHealSource: somewhere a good copy of a damaged chunk may be fetched
// from -- in practice a replica (sync/engine/replica_chunk_source.h), in
// tests a directory or a deliberately lying fake. Whatever a source returns
// is untrusted: the scrub proves it (envelope authenticates under the
// store's data key with the id as associated data, plaintext hashes to the
// id) before a byte of it is written to the store.
//
// Thread-safety: the scrub calls a source from one thread at a time.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/chunk_id.h"
#include "core/base/status.h"

namespace cairn {

class ChunkHealSource {
 public:
  virtual ~ChunkHealSource() = default;

  // Names the source in reports ("s3 target site-b").
  virtual std::string name() const = 0;

  // The chunk's sealed bytes as the source holds them; nullopt when it does
  // not hold the chunk; an error when it could not be asked (unreachable,
  // refused, an object too large to be a chunk).
  virtual Result<std::optional<Bytes>> FetchSealedChunk(const ChunkId& id) = 0;

  // The sources this one stands for, tried in order, each proven on its own
  // (so a replica that returns wrong bytes does not keep a later one from
  // healing). A single source is its own only member.
  virtual std::vector<ChunkHealSource*> Members() { return {this}; }
};

}  // namespace cairn
