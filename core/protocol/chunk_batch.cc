#include "core/protocol/chunk_batch.h"

#include <cstring>
#include <string>

namespace cairn {
namespace {

void AppendU32(std::string& out, std::uint32_t v) {
  char b[4];
  PutU32(reinterpret_cast<std::uint8_t*>(b), v);
  out.append(b, 4);
}

}  // namespace

void ChunkBatchWriter::Clear() {
  bytes_.assign(kChunkBatchMagic, 4);
  AppendU32(bytes_, 0);
  count_ = 0;
}

void ChunkBatchWriter::Add(const ChunkId& id, const EncodedPayload& payload) {
  bytes_.append(reinterpret_cast<const char*>(id.bytes.data()), id.bytes.size());
  bytes_.push_back(static_cast<char>(payload.codec));
  AppendU32(bytes_, payload.plain_size);
  AppendU32(bytes_, static_cast<std::uint32_t>(payload.bytes.size()));
  bytes_.append(reinterpret_cast<const char*>(payload.bytes.data()), payload.bytes.size());
  ++count_;
}

const std::string& ChunkBatchWriter::Finish() {
  PutU32(reinterpret_cast<std::uint8_t*>(bytes_.data() + 4), count_);
  return bytes_;
}

Result<std::vector<ChunkFrame>> DecodeChunkBatch(ByteSpan body, const ChunkBatchLimits& limits) {
  auto bad = [](const std::string& what) {
    return Status::InvalidArgument("chunk batch: " + what +
                                   " (see docs/protocol.md, \"Chunk batch\")");
  };
  if (body.size() < kChunkBatchHeaderSize || std::memcmp(body.data(), kChunkBatchMagic, 4) != 0) {
    return bad("does not start with \"CCB1\" and a count");
  }
  const std::uint32_t count = GetU32(body.data() + 4);
  if (count > limits.max_chunks) {
    return bad(std::to_string(count) + " chunks, more than the " +
               std::to_string(limits.max_chunks) + " allowed in one batch");
  }
  std::vector<ChunkFrame> frames;
  frames.reserve(count);
  std::size_t at = kChunkBatchHeaderSize;
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::string which = "frame " + std::to_string(i);
    if (body.size() - at < kChunkFrameHeaderSize) return bad(which + " is truncated");
    const std::uint8_t* h = body.data() + at;
    ChunkFrame f;
    std::memcpy(f.id.bytes.data(), h, 32);
    auto codec = CodecFromByte(h[32]);
    if (!codec.ok()) return bad(which + ": " + codec.error().message());
    f.codec = *codec;
    f.plain_size = GetU32(h + 33);
    const std::uint32_t payload_size = GetU32(h + 37);
    if (f.plain_size > limits.max_plain_size) {
      return bad(which + " declares " + std::to_string(f.plain_size) +
                 " bytes, more than the largest chunk (" + std::to_string(limits.max_plain_size) +
                 ")");
    }
    at += kChunkFrameHeaderSize;
    if (body.size() - at < payload_size) return bad(which + ": payload is truncated");
    Status shape = CheckPayloadShape(f.codec, f.plain_size, payload_size);
    if (!shape.ok()) return bad(which + ": " + shape.message());
    f.payload = body.subspan(at, payload_size);
    at += payload_size;
    frames.push_back(f);
  }
  if (at != body.size()) {
    return bad(std::to_string(body.size() - at) + " bytes follow the last frame");
  }
  return frames;
}

std::string EncodeChunkIds(const std::vector<ChunkId>& ids) {
  std::string out;
  out.reserve(ids.size() * ChunkId::kSize);
  for (const ChunkId& id : ids) {
    out.append(reinterpret_cast<const char*>(id.bytes.data()), id.bytes.size());
  }
  return out;
}

Result<std::vector<ChunkId>> DecodeChunkIds(ByteSpan body, std::size_t max_ids) {
  if (body.size() % ChunkId::kSize != 0) {
    return Status::InvalidArgument("chunk id list of " + std::to_string(body.size()) +
                                   " bytes is not a whole number of 32-byte ids");
  }
  const std::size_t n = body.size() / ChunkId::kSize;
  if (n > max_ids) {
    return Status::InvalidArgument("chunk id list of " + std::to_string(n) +
                                   " ids, more than the " + std::to_string(max_ids) +
                                   " allowed in one request");
  }
  std::vector<ChunkId> ids(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::memcpy(ids[i].bytes.data(), body.data() + i * ChunkId::kSize, ChunkId::kSize);
  }
  return ids;
}

}  // namespace cairn
