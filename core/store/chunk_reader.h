// ChunkReader: reads one chunk back and proves it is the chunk that was
// asked for -- the envelope authenticates (AES-256-GCM, header and id bound as
// associated data) and the plaintext hashes to the id under the id key.
// Anything else is a Corruption error naming the chunk.
// Thread-safety: one ChunkReader per thread (it owns crypto contexts); the
// Store underneath is shared.
#pragma once

#include "core/crypto/chunk_hasher.h"
#include "core/crypto/sealed_object.h"
#include "core/store/store.h"

namespace cairn {

class ChunkReader {
 public:
  explicit ChunkReader(Store& store)
      : store_(store), opener_(store.keys().data), hasher_(store.keys().id) {}

  Result<Bytes> Read(const ChunkId& id);
  // The same proof for sealed bytes that came from elsewhere (a replica),
  // before they are trusted or stored.
  Result<Bytes> Open(const ChunkId& id, ByteSpan sealed);

 private:
  Store& store_;
  ObjectOpener opener_;
  ChunkHasher hasher_;
};

}  // namespace cairn
