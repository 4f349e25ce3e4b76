// Fuzz target: the chunk decoder -- opening sealed objects with the store's
// data key (core/crypto/sealed_object.h: chunk files, sealed manifests, what
// a replica serves) and decoding an uploaded payload (DecodePayload, as
// appliance/daemon/chunk_ingest.cc runs it on every frame an agent sends).
//
// Input: one mode byte, then the mode's bytes.
//   0  sealed chunk as stored, opened under kFuzzChunkName (fuzz_support.h)
//   1  sealed manifest as stored, opened under kFuzzManifestName
//   2  codec u8 | plain_size u32 LE | payload: sealed here with the fixed key
//      (random bytes never authenticate), so Open's checks *after*
//      authentication -- the codec, sizes and zstd frame -- see hostile input
//   3  codec u8 | plain_size u32 LE | payload: DecodePayload as the ingest
//      path calls it
// Oracles: an opened object has exactly the declared size; a decoded
// payload re-encodes to something that decodes to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/crypto/aead.h"
#include "core/crypto/payload_codec.h"
#include "core/crypto/sealed_object.h"
#include "tests/fuzz/fuzz_support.h"

namespace cairn {
namespace {

// The store's bound on a chunk (8 MiB, the chunker's largest) is the limit
// the appliance passes; manifests are bounded by their own limit, which is
// larger than any fuzz input anyway.
constexpr std::size_t kMaxPlain = 8u << 20;
using fuzz::kFuzzChunkName;
using fuzz::kFuzzManifestName;

struct State {
  ObjectOpener opener{fuzz::FuzzDataKey()};
  Aes256Gcm gcm{fuzz::FuzzDataKey().bytes};
  Decompressor decompressor;
  PayloadEncoder encoder{3};
};

State& GetState() {
  static State* state = new State();  // never destroyed: the process ends
  return *state;
}

void CheckOpened(const Result<Bytes>& opened, ByteSpan sealed) {
  if (!opened.ok()) {
    CAIRN_FUZZ_CHECK(opened.error().IsCorruption(),
                     "a bad object must be Corruption: " + opened.error().ToString());
    return;
  }
  CAIRN_FUZZ_CHECK(opened->size() == GetU32(sealed.data() + 8),
                   "opened size is not the declared one");
}

void OpenStored(ObjectType type, ByteSpan name, ByteSpan sealed) {
  State& s = GetState();
  Result<Bytes> opened = s.opener.Open(type, name, sealed, kMaxPlain);
  fuzz::Debug("open", opened.status());
  CheckOpened(opened, sealed);
  auto encoded = s.opener.OpenEncoded(type, name, sealed, kMaxPlain);
  if (encoded.ok()) {
    CAIRN_FUZZ_CHECK(
        CheckPayloadShape(encoded->codec, encoded->plain_size, encoded->bytes.size()).ok(),
        "OpenEncoded returned an impossible payload shape");
  }
}

void SealAndOpen(ByteSpan in) {
  if (in.size() < 5) return;
  State& s = GetState();
  Bytes sealed(kSealedOverhead + in.size() - 5);
  std::uint8_t* h = sealed.data();
  std::memcpy(h, kSealedMagic, 4);
  h[4] = kSealedFormatVersion;
  h[5] = static_cast<std::uint8_t>(ObjectType::kChunk);
  h[6] = in[0];  // any codec byte, known or not
  h[7] = 0;
  std::memcpy(h + 8, in.data() + 1, 4);
  std::memset(h + 12, 0x5a, Aes256Gcm::kNonceSize);
  const ByteSpan aad[] = {ByteSpan(h, kSealedHeaderSize), ByteSpan(kFuzzChunkName)};
  Status sealed_ok = s.gcm.Seal(Aes256Gcm::Nonce(h + 12, Aes256Gcm::kNonceSize), aad, in.subspan(5),
                                MutableByteSpan(sealed).subspan(kSealedHeaderSize));
  CAIRN_FUZZ_CHECK(sealed_ok.ok(), sealed_ok.ToString());
  OpenStored(ObjectType::kChunk, ByteSpan(kFuzzChunkName), sealed);
}

void Decode(ByteSpan in) {
  if (in.size() < 5) return;
  State& s = GetState();
  auto codec = CodecFromByte(in[0]);
  if (!codec.ok()) return;
  const std::uint32_t plain_size = GetU32(in.data() + 1);
  auto plain = DecodePayload(s.decompressor, *codec, plain_size, in.subspan(5), kMaxPlain);
  fuzz::Debug("decode", plain.status());
  if (!plain.ok()) {
    CAIRN_FUZZ_CHECK(plain.error().IsCorruption(), plain.error().ToString());
    return;
  }
  CAIRN_FUZZ_CHECK(plain->size() == plain_size, "decoded size is not the declared one");
  auto again = s.encoder.Encode(*plain);
  CAIRN_FUZZ_CHECK(again.ok(), again.error().ToString());
  auto round =
      DecodePayload(s.decompressor, again->codec, again->plain_size, again->bytes, kMaxPlain);
  CAIRN_FUZZ_CHECK(round.ok() && *round == *plain, "re-encoded payload does not decode back");
}

}  // namespace
}  // namespace cairn

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cairn;
  fuzz::Dispatch<4>(
      data, size,
      {[](ByteSpan in) { OpenStored(ObjectType::kChunk, ByteSpan(kFuzzChunkName), in); },
       [](ByteSpan in) { OpenStored(ObjectType::kManifest, AsBytes(kFuzzManifestName), in); },
       SealAndOpen, Decode});
  return 0;
}
