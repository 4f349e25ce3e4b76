#include "core/crypto/sealed_object.h"

#include <cstring>
#include <string>

#include "core/crypto/random.h"

namespace cairn {
namespace {

constexpr std::size_t kNonceOffset = 12;

std::string_view TypeName(ObjectType type) {
  return type == ObjectType::kChunk ? "chunk" : "manifest";
}

// "chunk 3fa1...e9" / "manifest snap-2026..." for messages.
std::string Describe(ObjectType type, ByteSpan name) {
  std::string out(TypeName(type));
  out += ' ';
  if (type == ObjectType::kChunk) {
    out += ToHex(name);
  } else {
    for (std::uint8_t c : name) out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  }
  return out;
}

Status CheckName(ObjectType type, ByteSpan name) {
  switch (type) {
    case ObjectType::kChunk:
      if (name.size() != 32) {
        return Status::InvalidArgument("a chunk's name must be its 32-byte id, not " +
                                       std::to_string(name.size()) + " bytes");
      }
      return Status::Ok();
    case ObjectType::kManifest:
      if (name.empty() || name.size() > kMaxManifestNameSize) {
        return Status::InvalidArgument("a manifest's name must be 1 to 256 bytes, not " +
                                       std::to_string(name.size()));
      }
      return Status::Ok();
  }
  return Status::InvalidArgument("unknown object type " + std::to_string(static_cast<int>(type)));
}

Aes256Gcm::Nonce NonceOf(const std::uint8_t* header) {
  return Aes256Gcm::Nonce(header + kNonceOffset, Aes256Gcm::kNonceSize);
}

}  // namespace

ObjectSealer::ObjectSealer(const DataKey& key, int zstd_level)
    : gcm_(key.bytes), encoder_(zstd_level) {}

Result<Bytes> ObjectSealer::Seal(ObjectType type, ByteSpan name, ByteSpan plaintext) {
  CAIRN_RETURN_IF_ERROR(CheckName(type, name).WithContext("seal"));
  if (plaintext.size() > kMaxSealedPlaintext) {
    return Status::InvalidArgument("seal " + Describe(type, name) + ": " +
                                   std::to_string(plaintext.size()) +
                                   " bytes is over the 4 GiB object limit");
  }
  CAIRN_ASSIGN_OR_RETURN(EncodedPayload payload, encoder_.Encode(plaintext));
  return SealEncoded(type, name, payload);
}

Result<Bytes> ObjectSealer::SealEncoded(ObjectType type, ByteSpan name,
                                        const EncodedPayload& payload) {
  CAIRN_RETURN_IF_ERROR(CheckName(type, name).WithContext("seal"));
  CAIRN_RETURN_IF_ERROR(CheckPayloadShape(payload.codec, payload.plain_size, payload.bytes.size())
                            .WithContext("seal " + Describe(type, name)));
  Bytes out(kSealedOverhead + payload.bytes.size());
  std::uint8_t* h = out.data();
  std::memcpy(h, kSealedMagic, 4);
  h[4] = kSealedFormatVersion;
  h[5] = static_cast<std::uint8_t>(type);
  h[6] = static_cast<std::uint8_t>(payload.codec);
  h[7] = 0;
  PutU32(h + 8, payload.plain_size);
  CAIRN_RETURN_IF_ERROR(FillRandom({h + kNonceOffset, Aes256Gcm::kNonceSize}));
  const ByteSpan aad[] = {ByteSpan(h, kSealedHeaderSize), name};
  CAIRN_RETURN_IF_ERROR(
      gcm_.Seal(NonceOf(h), aad, payload.bytes, MutableByteSpan(out).subspan(kSealedHeaderSize))
          .WithContext("seal " + Describe(type, name)));
  return out;
}

ObjectOpener::ObjectOpener(const DataKey& key) : gcm_(key.bytes) {}

Result<Bytes> ObjectOpener::Open(ObjectType expected, ByteSpan name, ByteSpan sealed,
                                 std::size_t max_plaintext) {
  CAIRN_ASSIGN_OR_RETURN(OpenedPayload payload,
                         OpenEncoded(expected, name, sealed, max_plaintext));
  // Raw: the decrypted payload is the plaintext (its shape was checked).
  if (payload.codec == ObjectCodec::kRaw) return std::move(payload.bytes);
  // Authenticated yet undecodable: written by a buggy or hostile key holder.
  auto plain = DecodePayload(decompressor_, payload.codec, payload.plain_size, payload.bytes,
                             max_plaintext);
  if (!plain.ok()) {
    return Status::Corruption("sealed " + Describe(expected, name) + ": " +
                              plain.error().message());
  }
  return plain;
}

Result<OpenedPayload> ObjectOpener::OpenEncoded(ObjectType expected, ByteSpan name,
                                                ByteSpan sealed, std::size_t max_plaintext) {
  CAIRN_RETURN_IF_ERROR(CheckName(expected, name).WithContext("open"));
  auto corrupt = [&](const std::string& what) {
    return Status::Corruption("sealed " + Describe(expected, name) + ": " + what);
  };
  if (sealed.size() < kSealedOverhead) {
    return corrupt("only " + std::to_string(sealed.size()) + " bytes, shorter than the " +
                   std::to_string(kSealedOverhead) + "-byte header and tag (truncated)");
  }
  const std::uint8_t* h = sealed.data();
  if (std::memcmp(h, kSealedMagic, 4) != 0) return corrupt("bad magic (not a Cairn object)");
  if (h[4] != kSealedFormatVersion) {
    return corrupt("unknown format version " + std::to_string(h[4]) + " (this build reads " +
                   std::to_string(kSealedFormatVersion) + ")");
  }
  if (h[5] != static_cast<std::uint8_t>(ObjectType::kChunk) &&
      h[5] != static_cast<std::uint8_t>(ObjectType::kManifest)) {
    return corrupt("unknown object type " + std::to_string(h[5]));
  }
  if (h[5] != static_cast<std::uint8_t>(expected)) {
    return corrupt(std::string("header says it is a ") +
                   std::string(TypeName(static_cast<ObjectType>(h[5]))));
  }
  auto codec = CodecFromByte(h[6]);
  if (!codec.ok()) return corrupt(codec.error().message());
  if (h[7] != 0) return corrupt("reserved header byte is " + std::to_string(h[7]) + ", not 0");
  const std::size_t length = GetU32(h + 8);
  if (length > max_plaintext) {
    return corrupt("header declares " + std::to_string(length) + " bytes, more than the " +
                   std::to_string(max_plaintext) + " allowed");
  }
  const ByteSpan body = sealed.subspan(kSealedHeaderSize);
  const std::size_t payload_size = body.size() - Aes256Gcm::kTagSize;
  // Before any decryption work: a raw payload is exactly the plaintext; we
  // only ever store a zstd frame that is smaller.
  Status shape = CheckPayloadShape(*codec, length, payload_size);
  if (!shape.ok()) return corrupt(shape.message());

  const ByteSpan aad[] = {sealed.first(kSealedHeaderSize), name};
  OpenedPayload out;
  out.codec = *codec;
  out.plain_size = static_cast<std::uint32_t>(length);
  out.bytes.resize(payload_size);
  Status s = gcm_.Open(NonceOf(h), aad, body, out.bytes);
  if (s.IsCorruption()) {
    return corrupt(
        "authentication failed: wrong data key, changed bytes, or the object was stored under "
        "another name");
  }
  CAIRN_RETURN_IF_ERROR(s.WithContext("open " + Describe(expected, name)));
  return out;
}

}  // namespace cairn
