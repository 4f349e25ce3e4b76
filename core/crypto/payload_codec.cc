#include "core/crypto/payload_codec.h"

#include <string>

namespace cairn {

Result<EncodedPayload> PayloadEncoder::Encode(ByteSpan plaintext) {
  if (plaintext.size() > 0xffffffffu) {
    return Status::InvalidArgument(std::to_string(plaintext.size()) +
                                   " bytes is over the 4 GiB payload limit");
  }
  EncodedPayload out{ObjectCodec::kRaw, static_cast<std::uint32_t>(plaintext.size()), plaintext};
  if (plaintext.empty()) return out;
  // Keep the frame only if it saves at least 1/32: decompressing costs time
  // on every read, and incompressible data grows a little.
  CAIRN_RETURN_IF_ERROR(compressor_.CompressTo(plaintext, frame_));
  if (frame_.size() <= plaintext.size() - plaintext.size() / 32) {
    out.codec = ObjectCodec::kZstd;
    out.bytes = frame_;
  }
  return out;
}

Status CheckPayloadShape(ObjectCodec codec, std::size_t plain_size, std::size_t payload_size) {
  if (codec == ObjectCodec::kRaw && payload_size != plain_size) {
    return Status::Corruption("raw payload is " + std::to_string(payload_size) +
                              " bytes but the header declares " + std::to_string(plain_size) +
                              " (truncated or extended)");
  }
  if (codec == ObjectCodec::kZstd && (payload_size == 0 || payload_size >= plain_size)) {
    return Status::Corruption("zstd payload of " + std::to_string(payload_size) +
                              " bytes is impossible for " + std::to_string(plain_size) +
                              " bytes of plaintext");
  }
  return Status::Ok();
}

Result<ObjectCodec> CodecFromByte(std::uint8_t b) {
  if (b == static_cast<std::uint8_t>(ObjectCodec::kRaw)) return ObjectCodec::kRaw;
  if (b == static_cast<std::uint8_t>(ObjectCodec::kZstd)) return ObjectCodec::kZstd;
  return Status::InvalidArgument("unknown codec " + std::to_string(b) + " (0 raw, 1 zstd)");
}

Result<Bytes> DecodePayload(Decompressor& decompressor, ObjectCodec codec, std::size_t plain_size,
                            ByteSpan payload, std::size_t max_plain) {
  if (plain_size > max_plain) {
    return Status::Corruption("declares " + std::to_string(plain_size) +
                              " bytes of plaintext, more than the " + std::to_string(max_plain) +
                              " allowed");
  }
  CAIRN_RETURN_IF_ERROR(CheckPayloadShape(codec, plain_size, payload.size()));
  if (codec == ObjectCodec::kRaw) return Bytes(payload.begin(), payload.end());
  Bytes plain;
  Status s = decompressor.DecompressTo(payload, plain_size, plain);
  if (!s.ok()) return Status::Corruption(s.message());
  if (plain.size() != plain_size) {
    return Status::Corruption("decompressed to " + std::to_string(plain.size()) +
                              " bytes but the header declares " + std::to_string(plain_size));
  }
  return plain;
}

}  // namespace cairn
