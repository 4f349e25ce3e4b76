// fuzz_seed_gen: writes the binary seeds of the fuzz targets -- sealed
// objects, chunk batches, id lists, tokens, a CSR and the JSON an appliance
// sends -- into <corpus dir>/<target>/, made by the same code that makes
// them for real (ObjectSealer, ChunkBatchWriter, FormatPinnedToken, ...).
// Hand-written text seeds (manifests, configs, XML, HTTP, tar streams from
// make_tar_seeds.py) live beside them and are not touched.
//
//   fuzz_seed_gen tests/fuzz/corpus
//
// Sealed objects carry a random nonce, so a rerun rewrites those files with
// different (equally valid) bytes.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/crypto/payload_codec.h"
#include "core/crypto/sealed_object.h"
#include "core/pki/csr.h"
#include "core/protocol/chunk_batch.h"
#include "core/protocol/dedup_params_json.h"
#include "core/protocol/pinned_token.h"
#include "core/protocol/snapshot_json.h"
#include "sync/target/replica_layout.h"
#include "tests/fuzz/fuzz_support.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;

// A seed file: the target's mode byte, then the bytes.
void Write(const fs::path& dir, const std::string& name, int mode, ByteSpan bytes) {
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  if (mode >= 0) out.put(static_cast<char>(mode));
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "fuzz_seed_gen: cannot write %s\n", (dir / name).c_str());
    std::exit(1);
  }
}

template <typename T>
T Must(Result<T> r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "fuzz_seed_gen: %s: %s\n", what, r.error().ToString().c_str());
    std::exit(1);
  }
  return std::move(*r);
}

Bytes Text(const std::string& s) { return Bytes(s.begin(), s.end()); }

// Compressible (zstd is kept) and incompressible (raw) plaintexts.
Bytes Compressible() {
  std::string s;
  for (int i = 0; i < 64; ++i)
    s += "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-" + std::to_string(i) + "}\n";
  return Text(s);
}
Bytes Incompressible() {
  Bytes b(300);
  std::uint32_t x = 2463534242u;
  for (auto& c : b) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<std::uint8_t>(x);
  }
  return b;
}

// Mode byte, codec, plain_size u32 LE, payload: modes 2 and 3 of chunk_decode_fuzz.
Bytes Framed(const EncodedPayload& p) {
  Bytes out(5);
  out[0] = static_cast<std::uint8_t>(p.codec);
  PutU32(out.data() + 1, p.plain_size);
  out.insert(out.end(), p.bytes.begin(), p.bytes.end());
  return out;
}

void ChunkDecodeSeeds(const fs::path& dir) {
  ObjectSealer sealer(fuzz::FuzzDataKey(), 3);
  const ByteSpan chunk_name(fuzz::kFuzzChunkName);
  Write(dir, "sealed_chunk_zstd", 0,
        Must(sealer.Seal(ObjectType::kChunk, chunk_name, Compressible()), "seal"));
  Write(dir, "sealed_chunk_raw", 0,
        Must(sealer.Seal(ObjectType::kChunk, chunk_name, Incompressible()), "seal"));
  const std::string manifest =
      R"({"format":"cairn-snapshot","version":1,"snapshot_id":"0011223344556677","name":"web",)"
      R"("created_unix_ns":1,"entries":[{"p":".","t":"d","m":493}]})";
  Write(dir, "sealed_manifest", 1,
        Must(sealer.Seal(ObjectType::kManifest, AsBytes(fuzz::kFuzzManifestName), Text(manifest)),
             "seal"));
  PayloadEncoder encoder(3);
  const Bytes compressible = Compressible();
  const Bytes incompressible = Incompressible();
  const EncodedPayload zstd = Must(encoder.Encode(compressible), "encode");
  Write(dir, "payload_zstd_sealed_here", 2, Framed(zstd));
  Write(dir, "payload_zstd", 3, Framed(zstd));
  const EncodedPayload raw = Must(encoder.Encode(incompressible), "encode");
  Write(dir, "payload_raw_sealed_here", 2, Framed(raw));
  Write(dir, "payload_raw", 3, Framed(raw));
}

void ProtocolSeeds(const fs::path& dir) {
  PayloadEncoder encoder(3);
  ChunkBatchWriter batch;
  ChunkId a, b;
  a.bytes.fill(0x11);
  b.bytes.fill(0x22);
  const Bytes compressible = Compressible();
  const Bytes incompressible = Incompressible();
  batch.Add(a, Must(encoder.Encode(compressible), "encode"));
  batch.Add(b, Must(encoder.Encode(incompressible), "encode"));
  Write(dir, "chunk_batch", 0, AsBytes(batch.Finish()));
  batch.Clear();
  Write(dir, "chunk_batch_empty", 0, AsBytes(batch.Finish()));
  Write(dir, "chunk_ids", 1, AsBytes(EncodeChunkIds({a, b, a})));

  const Bytes secret(32, 0x5c);
  const std::string ca = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  const std::string enroll =
      Must(FormatPinnedToken(kEnrollmentTokenKind, "0123456789abcdef", secret, ca), "token");
  const std::string pair =
      Must(FormatPinnedToken(kPairingTokenKind, "fedcba9876543210", secret, ca), "token");
  Write(dir, "token_enroll", 2, Text(enroll));
  Write(dir, "token_pair", 2, Text(pair + "\n"));
  const pki::KeyAndCsr csr = Must(pki::GenerateKeyAndCsr("ag-0123456789abcdef"), "csr");
  Write(dir, "csr", 3, Text(csr.csr_pem));

  nlohmann::json body = {
      {"token", enroll}, {"csr_pem", csr.csr_pem}, {"cluster", "edge-1"}, {"hostname", "node1"}};
  Write(dir, "json_enroll", 4, Text(body.dump()));
  DedupParams params;
  params.id_key.bytes.fill(0x42);
  for (std::size_t i = 0; i < params.gear_table.size(); ++i)
    params.gear_table[i] = i * 0x9e3779b97f4a7c15ull;
  Write(dir, "json_dedup", 4,
        Text(nlohmann::json{{"agent_id", "ag-1"}, {"dedup", DedupParamsToJson(params)}}.dump()));
  SnapshotRecord record;
  record.id = "0011223344556677";
  record.name = "web";
  record.cluster = "edge-1";
  record.created_unix_ns = 1700000000000000000;
  record.file_count = 3;
  record.bytes_read = 1000;
  record.bytes_stored = 400;
  record.tags = {"daily"};
  Write(dir, "json_snapshot", 4, Text(SnapshotRecordToJson(record).dump()));

  Write(dir, "replica_chunk_key", 5, Text(ReplicaChunkKey(a)));
  Write(dir, "replica_manifest_key", 5, Text(ReplicaManifestKey("web", "0011223344556677")));
  Write(dir, "replica_config_key", 5, Text(std::string(kReplicaConfigKey)));
}

}  // namespace
}  // namespace cairn

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seed_gen CORPUS_DIR (tests/fuzz/corpus)\n");
    return 2;
  }
  const std::filesystem::path corpus = argv[1];
  cairn::ChunkDecodeSeeds(corpus / "chunk_decode");
  cairn::ProtocolSeeds(corpus / "protocol");
  std::printf("fuzz_seed_gen: seeds written under %s\n", corpus.c_str());
  return 0;
}
