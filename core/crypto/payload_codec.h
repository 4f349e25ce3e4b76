// Payload codec: how the bytes of a chunk travel and rest -- raw, or one zstd
// frame when that saves at least 1/32 (~3%). The same rule and the same
// checks serve the sealed objects in a store (sealed_object.h) and the chunk
// frames an agent uploads (docs/protocol.md), so a payload an agent encoded
// can be sealed as it is, without compressing it a second time.
//
// Thread-safety: PayloadEncoder and the Decompressor passed to DecodePayload
// are thread-confined; the free functions are pure.
#pragma once

#include <cstdint>

#include "core/base/bytes.h"
#include "core/base/status.h"
#include "core/crypto/compressor.h"

namespace cairn {

enum class ObjectCodec : std::uint8_t { kRaw = 0, kZstd = 1 };

// A view of an encoded payload; `bytes` points into the encoder's scratch
// buffer or into the plaintext it was given, valid until the next Encode.
struct EncodedPayload {
  ObjectCodec codec = ObjectCodec::kRaw;
  std::uint32_t plain_size = 0;
  ByteSpan bytes;
};

class PayloadEncoder {
 public:
  explicit PayloadEncoder(int zstd_level) : compressor_(zstd_level) {}
  // InvalidArgument for a plaintext over 4 GiB (the size field is a u32).
  Result<EncodedPayload> Encode(ByteSpan plaintext);

 private:
  Compressor compressor_;
  Bytes frame_;  // scratch, reused across calls
};

// Corruption (naming what) when a payload of `payload_size` bytes cannot be
// `codec` of `plain_size` bytes: raw must be exactly the plaintext; a zstd
// frame is only ever kept when it is smaller.
Status CheckPayloadShape(ObjectCodec codec, std::size_t plain_size, std::size_t payload_size);

// InvalidArgument for a codec byte that is neither raw nor zstd.
Result<ObjectCodec> CodecFromByte(std::uint8_t b);

// The plaintext of a payload, at most `max_plain` bytes. Corruption for a
// bad shape, an undecodable frame or a size other than `plain_size`.
Result<Bytes> DecodePayload(Decompressor& decompressor, ObjectCodec codec, std::size_t plain_size,
                            ByteSpan payload, std::size_t max_plain);

}  // namespace cairn
