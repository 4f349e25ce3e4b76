#include "core/store/chunk_reader.h"

namespace cairn {

Result<Bytes> ChunkReader::Read(const ChunkId& id) {
  CAIRN_ASSIGN_OR_RETURN(Bytes sealed, store_.ReadSealedChunk(id));
  return Open(id, sealed);
}

Result<Bytes> ChunkReader::Open(const ChunkId& id, ByteSpan sealed) {
  auto plain = opener_.Open(ObjectType::kChunk, id.bytes, sealed, store_.config().chunker.max_size);
  if (!plain.ok()) return plain.error().WithContext("chunk " + id.Hex());
  if (hasher_.Hash(*plain) != id) {
    return Status::Corruption("chunk " + id.Hex() +
                              ": content does not match its id (the object was replaced)");
  }
  return plain;
}

}  // namespace cairn
