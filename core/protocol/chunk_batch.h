// Chunk batches: the body of POST /v1/chunks (docs/protocol.md, "Chunk
// batch", version 1). An agent sends the chunks the appliance lacks as
// encoded payloads (PayloadEncoder); the appliance checks every one decodes to
// content whose keyed hash is its id before it seals and stores it.
//
//   batch := "CCB1" | count u32 LE | frame * count
//   frame := id [32] | codec u8 (0 raw, 1 zstd) | plain_size u32 LE
//            | payload_size u32 LE | payload [payload_size]
//
// Decoding treats the bytes as untrusted: every size is checked against the
// limits before it is used, and trailing bytes are an error.
// Thread-safety: plain functions and values.
#pragma once

#include <cstdint>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/chunk_id.h"
#include "core/base/status.h"
#include "core/crypto/payload_codec.h"

namespace cairn {

inline constexpr char kChunkBatchMagic[4] = {'C', 'C', 'B', '1'};
inline constexpr std::size_t kChunkBatchHeaderSize = 8;
inline constexpr std::size_t kChunkFrameHeaderSize = 32 + 1 + 4 + 4;

// Appends frames to a batch under construction.
class ChunkBatchWriter {
 public:
  ChunkBatchWriter() { Clear(); }
  void Add(const ChunkId& id, const EncodedPayload& payload);
  std::size_t count() const { return count_; }
  std::size_t size() const { return bytes_.size(); }
  // The finished body (the count is patched in).
  const std::string& Finish();
  void Clear();

 private:
  std::string bytes_;
  std::uint32_t count_ = 0;
};

// One frame of a decoded batch; `payload` points into the body.
struct ChunkFrame {
  ChunkId id;
  ObjectCodec codec = ObjectCodec::kRaw;
  std::uint32_t plain_size = 0;
  ByteSpan payload;
};

struct ChunkBatchLimits {
  std::uint32_t max_chunks = 4096;
  std::uint32_t max_plain_size = 8u << 20;  // the store's max chunk size
};

// InvalidArgument, naming the frame and what was wrong, for any malformation.
Result<std::vector<ChunkFrame>> DecodeChunkBatch(ByteSpan body, const ChunkBatchLimits& limits);

// POST /v1/chunks/missing: the body is ids back to back (32 bytes each), the
// answer the subset the appliance lacks, in the same order.
std::string EncodeChunkIds(const std::vector<ChunkId>& ids);
Result<std::vector<ChunkId>> DecodeChunkIds(ByteSpan body, std::size_t max_ids);

}  // namespace cairn
