// Sealed objects: the on-disk envelope of every chunk file and snapshot
// manifest. The payload (raw, or a zstd frame when that saves at least ~3%)
// is encrypted with AES-256-GCM under the store's data key; the header and
// the object's name are the associated data, so an object cannot be edited,
// swapped for another, or served under another name without Open failing.
//
// Layout, version 1 (docs/formats.md, "Sealed objects"):
//   0  magic "CRN1"            4
//   4  format version u8 = 1   1
//   5  object type u8          1   (1 = chunk, 2 = manifest)
//   6  codec u8                1   (0 = raw, 1 = zstd)
//   7  reserved u8 = 0         1
//   8  plaintext length u32 LE 4
//  12  nonce                  12
//  24  ciphertext of the payload
//  end GCM tag                16
//   AAD = the 24 header bytes || name (chunk: its 32-byte id; manifest: the
//   snapshot id string)
//
// Thread-safety: ObjectSealer and ObjectOpener are thread-confined (one per
// worker thread) and cheap to construct (contexts set up on first use).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/base/bytes.h"
#include "core/base/status.h"
#include "core/crypto/aead.h"
#include "core/crypto/compressor.h"
#include "core/crypto/payload_codec.h"
#include "core/crypto/secret_key.h"

namespace cairn {

enum class ObjectType : std::uint8_t { kChunk = 1, kManifest = 2 };

inline constexpr char kSealedMagic[4] = {'C', 'R', 'N', '1'};
inline constexpr std::uint8_t kSealedFormatVersion = 1;
inline constexpr std::size_t kSealedHeaderSize = 24;
inline constexpr std::size_t kSealedOverhead = kSealedHeaderSize + Aes256Gcm::kTagSize;
// Names: a chunk's is its id (exactly 32 bytes); a manifest's is 1..256 bytes.
inline constexpr std::size_t kMaxManifestNameSize = 256;
// The header's length field is a u32.
inline constexpr std::size_t kMaxSealedPlaintext = 0xffffffffu;

class ObjectSealer {
 public:
  // `zstd_level`: see Compressor. Aborts only if OpenSSL/zstd cannot
  // allocate their contexts.
  ObjectSealer(const DataKey& key, int zstd_level);

  // The sealed bytes for `plaintext` stored as object `name`, with a fresh
  // random nonce. InvalidArgument for a bad name or a plaintext over
  // kMaxSealedPlaintext; IoError if randomness or the cipher fails.
  Result<Bytes> Seal(ObjectType type, ByteSpan name, ByteSpan plaintext);
  // Seals a payload that is already encoded (an agent's upload, checked by
  // the caller to decode to the content its id names): no second compression.
  // Corruption when the payload's shape is impossible for its codec.
  Result<Bytes> SealEncoded(ObjectType type, ByteSpan name, const EncodedPayload& payload);

 private:
  Aes256Gcm gcm_;
  PayloadEncoder encoder_;
};

// A sealed object decrypted but not decoded: what the appliance serves to an
// agent, which decodes (and checks the id) itself.
struct OpenedPayload {
  ObjectCodec codec = ObjectCodec::kRaw;
  std::uint32_t plain_size = 0;
  Bytes bytes;
};

class ObjectOpener {
 public:
  explicit ObjectOpener(const DataKey& key);

  // Verifies and decodes `sealed`, which must be an object of type
  // `expected` stored as `name`, with a plaintext of at most `max_plaintext`
  // bytes. Every malformation (short, bad magic, unknown version, type or
  // codec, wrong type, length over the limit, payload size inconsistent
  // with the codec, authentication failure, bad zstd frame, length
  // mismatch) is Corruption naming what was wrong; a bad `name` argument is
  // InvalidArgument. Never reads outside `sealed`.
  Result<Bytes> Open(ObjectType expected, ByteSpan name, ByteSpan sealed,
                     std::size_t max_plaintext);
  // The same checks and authentication, without decoding the payload.
  Result<OpenedPayload> OpenEncoded(ObjectType expected, ByteSpan name, ByteSpan sealed,
                                    std::size_t max_plaintext);

 private:
  Aes256Gcm gcm_;
  Decompressor decompressor_;
};

}  // namespace cairn
