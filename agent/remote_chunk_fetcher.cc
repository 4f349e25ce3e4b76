#include "agent/remote_chunk_fetcher.h"

namespace cairn {

Result<Bytes> RemoteChunkFetcher::Fetch(const ChunkId& id) {
  CAIRN_ASSIGN_OR_RETURN(OpenedPayload payload, client_->GetChunk(snapshot_id_, id));
  auto plain = DecodePayload(decompressor_, payload.codec, payload.plain_size, payload.bytes,
                             max_plain_);
  if (!plain.ok()) return plain.error().WithContext("chunk " + id.Hex() + " from the appliance");
  if (hasher_.Hash(*plain) != id) {
    return Status::Corruption("chunk " + id.Hex() +
                              " from the appliance does not match its id (damaged in the store or "
                              "in transit); run `cairnctl verify` on the appliance");
  }
  return plain;
}

}  // namespace cairn
