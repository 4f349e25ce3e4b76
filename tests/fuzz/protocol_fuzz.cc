// Fuzz target: the upload protocol as the appliance reads it from the
// network (appliance/daemon/ingest_api.cc, replica_api.cc; core/protocol/).
//
// Input: one mode byte, then the mode's bytes.
//   0  POST /v1/chunks body: DecodeChunkBatch with the default limits
//   1  POST /v1/chunks/missing body: DecodeChunkIds
//   2  token text: ParsePinnedToken, enrollment and pairing kinds
//   3  a CSR in PEM: pki::CheckClientCsr (POST /v1/enroll, /v1/peer/pair)
//   4  a JSON body: the enroll/pair fields (token, csr_pem) as the handlers
//      read them, and the agent-side readers of the appliance's answers
//      (DedupParamsFromJson, SnapshotRecordFromJson)
//   5  a replica key a peer names (ValidateReplicaKey, the Parse* helpers)
// Oracles: a decoded batch or id list re-encodes to exactly its bytes; a
// parsed token formats back to a token that parses the same; a valid
// replica key is one of the three shapes and can never leave its directory.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "core/pki/csr.h"
#include "core/protocol/chunk_batch.h"
#include "core/protocol/dedup_params_json.h"
#include "core/protocol/pinned_token.h"
#include "core/protocol/snapshot_json.h"
#include "sync/target/replica_layout.h"
#include "tests/fuzz/fuzz_support.h"

namespace cairn {
namespace {

using json = nlohmann::json;

void ChunkBatch(ByteSpan body) {
  auto frames = DecodeChunkBatch(body, ChunkBatchLimits{});
  fuzz::Debug("chunk batch", frames.status());
  if (!frames.ok()) {
    CAIRN_FUZZ_CHECK(frames.error().IsInvalidArgument(), frames.error().ToString());
    return;
  }
  ChunkBatchWriter writer;
  for (const ChunkFrame& f : *frames) {
    CAIRN_FUZZ_CHECK(f.plain_size <= ChunkBatchLimits{}.max_plain_size,
                     "plain_size over the limit");
    writer.Add(f.id, EncodedPayload{f.codec, f.plain_size, f.payload});
  }
  CAIRN_FUZZ_CHECK(AsBytes(writer.Finish()).size() == body.size() &&
                       std::equal(body.begin(), body.end(), AsBytes(writer.Finish()).begin()),
                   "a decoded batch does not re-encode to its bytes");
}

void ChunkIds(ByteSpan body) {
  constexpr std::size_t kMaxIds = 16384;  // ingest_api.cc kMaxMissingQuery
  auto ids = DecodeChunkIds(body, kMaxIds);
  fuzz::Debug("chunk ids", ids.status());
  if (!ids.ok()) return;
  CAIRN_FUZZ_CHECK(EncodeChunkIds(*ids) == AsChars(body), "id list does not re-encode");
}

void Token(std::string_view text) {
  for (const PinnedTokenKind* kind : {&kEnrollmentTokenKind, &kPairingTokenKind}) {
    auto parsed = ParsePinnedToken(*kind, text);
    fuzz::Debug(kind->noun, parsed.status());
    if (!parsed.ok()) {
      CAIRN_FUZZ_CHECK(parsed.error().IsInvalidArgument(), parsed.error().ToString());
      continue;
    }
    auto text2 = FormatPinnedToken(*kind, parsed->id, parsed->secret, parsed->ca_sha256_hex);
    CAIRN_FUZZ_CHECK(text2.ok(), "a parsed token does not format: " + text2.error().ToString());
    auto again = ParsePinnedToken(*kind, *text2);
    CAIRN_FUZZ_CHECK(again.ok() && again->id == parsed->id && again->secret == parsed->secret &&
                         again->ca_sha256_hex == parsed->ca_sha256_hex,
                     "a token changes in its round trip");
  }
}

void Csr(std::string_view pem) { fuzz::Debug("csr", pki::CheckClientCsr(pem)); }

void Dedup(const json& j) {
  auto dedup = DedupParamsFromJson(j);
  fuzz::Debug("dedup params", dedup.status());
  if (!dedup.ok()) return;
  auto again = DedupParamsFromJson(DedupParamsToJson(*dedup));
  CAIRN_FUZZ_CHECK(again.ok(),
                   "dedup params do not survive a round trip: " + again.error().ToString());
}

void JsonBody(std::string_view text) {
  const json body = json::parse(text, nullptr, false);
  if (body.is_discarded()) return;
  // The handlers' own shape checks come first (ingest_api.cc Enroll,
  // replica_api.cc Pair): only strings reach the parsers.
  if (body.is_object()) {
    if (body.contains("token") && body["token"].is_string())
      Token(body["token"].get<std::string>());
    if (body.contains("csr_pem") && body["csr_pem"].is_string()) {
      Csr(body["csr_pem"].get<std::string>());
    }
  }
  Dedup(body);
  if (body.is_object() && body.contains("dedup")) Dedup(body["dedup"]);  // the enroll answer
  auto record = SnapshotRecordFromJson(body);
  fuzz::Debug("snapshot record", record.status());
  if (record.ok()) {
    auto again = SnapshotRecordFromJson(SnapshotRecordToJson(*record));
    CAIRN_FUZZ_CHECK(again.ok() && *again == *record, "snapshot record changes in a round trip");
  }
}

void ReplicaKey(std::string_view key) {
  const Status valid = ValidateReplicaKey(key);
  fuzz::Debug("replica key", valid);
  if (!valid.ok()) return;
  // Relative, no NUL, and no component empty, "." or "..": then it names a
  // file under the replica directory. ("a..b" is a valid snapshot name and a
  // harmless component; the first version of this check refused it.)
  bool inside = !key.empty() && key.front() != '/' && key.find('\0') == std::string_view::npos;
  for (std::size_t begin = 0; inside && begin <= key.size();) {
    const std::size_t end = std::min(key.find('/', begin), key.size());
    const std::string_view part = key.substr(begin, end - begin);
    inside = !part.empty() && part != "." && part != "..";
    begin = end + 1;
  }
  CAIRN_FUZZ_CHECK(inside, "a valid replica key could leave the replica directory");
  if (key == kReplicaConfigKey) return;
  if (auto id = ParseReplicaChunkKey(key)) {
    CAIRN_FUZZ_CHECK(ReplicaChunkKey(*id) == key, "chunk key does not round-trip");
    return;
  }
  auto manifest = ParseReplicaManifestKey(key);
  CAIRN_FUZZ_CHECK(manifest.has_value(), "a valid key is none of the three shapes");
  CAIRN_FUZZ_CHECK(ReplicaManifestKey(manifest->first, manifest->second) == key,
                   "manifest key does not round-trip");
}

}  // namespace
}  // namespace cairn

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace cairn;
  fuzz::Dispatch<6>(
      data, size,
      {ChunkBatch, ChunkIds, [](ByteSpan in) { Token(AsChars(in)); },
       [](ByteSpan in) { Csr(AsChars(in)); }, [](ByteSpan in) { JsonBody(AsChars(in)); },
       [](ByteSpan in) { ReplicaKey(AsChars(in)); }});
  return 0;
}
