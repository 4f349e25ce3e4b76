#include "agent/appliance_client.h"

#include <nlohmann/json.hpp>

#include "core/net/api_error.h"
#include "core/protocol/chunk_batch.h"
#include "core/protocol/snapshot_json.h"

namespace cairn {
namespace {

// Query values here are snapshot names and ids: a closed alphabet
// (ValidateSnapshotName), so they need no escaping; anything else is refused.
Result<std::string> QueryValue(const std::string& v) {
  for (char c : v) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
      return Status::InvalidArgument("'" + v + "' is not a valid snapshot name or id");
    }
  }
  return v;
}

}  // namespace

Result<std::unique_ptr<ApplianceClient>> ApplianceClient::Connect(const AgentState& state) {
  CAIRN_ASSIGN_OR_RETURN(HttpsEndpoint endpoint, ParseHttpsUrl(state.appliance_url));
  HttpsClientOptions options;
  options.endpoint = endpoint;
  options.ca_pem = state.ca_pem;
  options.client_cert_pem = state.cert_pem;
  options.client_key_pem = state.key_pem;
  // A manifest of a large tree; chunks are far smaller.
  options.max_response_body = 1ull << 30;
  CAIRN_ASSIGN_OR_RETURN(auto http, HttpsClient::Create(std::move(options)));
  return std::unique_ptr<ApplianceClient>(new ApplianceClient(std::move(http)));
}

Result<HttpsResponse> ApplianceClient::Call(HttpsRequest spec, std::string_view what) {
  CAIRN_ASSIGN_OR_RETURN(HttpsResponse r, http_->Send(spec));
  CAIRN_RETURN_IF_ERROR(StatusFromResponse(r, what));
  return r;
}

Result<std::vector<ChunkId>> ApplianceClient::Missing(const std::vector<ChunkId>& ids) {
  HttpsRequest spec;
  spec.method = "POST";
  spec.target = "/v1/chunks/missing";
  spec.content_type = "application/octet-stream";
  spec.body = EncodeChunkIds(ids);
  CAIRN_ASSIGN_OR_RETURN(HttpsResponse r, Call(std::move(spec), "ask which chunks are missing"));
  CAIRN_ASSIGN_OR_RETURN(std::vector<ChunkId> missing, DecodeChunkIds(AsBytes(r.body), ids.size()));
  return missing;
}

Status ApplianceClient::UploadBatch(const std::string& body) {
  HttpsRequest spec;
  spec.method = "POST";
  spec.target = "/v1/chunks";
  spec.content_type = "application/octet-stream";
  spec.body = body;
  return Call(std::move(spec), "upload chunks").status();
}

Result<CommitReply> ApplianceClient::Commit(const std::string& manifest_json) {
  HttpsRequest spec;
  spec.method = "POST";
  spec.target = "/v1/snapshots";
  spec.content_type = "application/json";
  spec.body = manifest_json;
  // The appliance holds its answer until synchronous replication targets
  // have the snapshot (at most its [replication] synchronous_timeout, 10 min
  // by default), so the commit may wait that long for a header.
  spec.response_timeout = std::chrono::minutes(30);
  CAIRN_ASSIGN_OR_RETURN(HttpsResponse r, http_->Send(spec));
  const auto j = nlohmann::json::parse(r.body, nullptr, false);
  CommitReply reply;
  if (r.status == 409 && j.is_object() && j.contains("missing") && j["missing"].is_array()) {
    for (const auto& hex : j["missing"]) {
      auto id = hex.is_string() ? ChunkId::FromHex(hex.get<std::string>()) : std::nullopt;
      if (!id) return Status::InvalidArgument("commit snapshot: malformed 'missing' list in reply");
      reply.missing.push_back(*id);
    }
    return reply;
  }
  CAIRN_RETURN_IF_ERROR(StatusFromResponse(r, "commit snapshot"));
  if (!j.is_object() || !j.contains("snapshot_id") || !j["snapshot_id"].is_string()) {
    return Status::InvalidArgument("commit snapshot: the appliance's reply has no snapshot_id");
  }
  reply.snapshot_id = j["snapshot_id"].get<std::string>();
  // Figures only: a wrong type reads as 0 rather than failing a committed backup.
  auto figure = [&j](const char* key) -> std::uint64_t {
    return j.contains(key) && j[key].is_number_unsigned() ? j[key].get<std::uint64_t>() : 0;
  };
  reply.manifest_bytes = figure("manifest_bytes");
  reply.chunks_new = figure("chunks_new");
  reply.bytes_new = figure("bytes_new");
  reply.bytes_stored = figure("bytes_stored");
  if (j.contains("replication") && j["replication"].is_array()) {
    for (const auto& o : j["replication"]) {
      if (!o.is_object() || !o.contains("target") || !o["target"].is_string()) continue;
      const bool replicated = o.contains("replicated") && o["replicated"].is_boolean() && o["replicated"].get<bool>();
      const std::string detail = o.contains("detail") && o["detail"].is_string() ? o["detail"].get<std::string>() : "";
      reply.replication.push_back(o["target"].get<std::string>() + ": " +
                                  (replicated ? "replicated (synchronous)" : detail));
    }
  }
  return reply;
}

Result<std::vector<SnapshotRecord>> ApplianceClient::ListSnapshots(
    const std::optional<std::string>& name) {
  HttpsRequest spec;
  spec.target = "/v1/snapshots";
  if (name) {
    CAIRN_ASSIGN_OR_RETURN(std::string n, QueryValue(*name));
    spec.target += "?name=" + n;
  }
  CAIRN_ASSIGN_OR_RETURN(HttpsResponse r, Call(std::move(spec), "list snapshots"));
  const auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains("snapshots") || !j["snapshots"].is_array()) {
    return Status::InvalidArgument("list snapshots: the reply is not a snapshot list");
  }
  std::vector<SnapshotRecord> out;
  for (const auto& s : j["snapshots"]) {
    CAIRN_ASSIGN_OR_RETURN(SnapshotRecord rec, SnapshotRecordFromJson(s));
    out.push_back(std::move(rec));
  }
  return out;
}

Result<Manifest> ApplianceClient::GetManifest(const std::string& spec_text,
                                              const std::optional<std::string>& name) {
  HttpsRequest spec;
  CAIRN_ASSIGN_OR_RETURN(std::string id, QueryValue(spec_text));
  spec.target = "/v1/snapshots/" + id + "/manifest";
  if (name) {
    CAIRN_ASSIGN_OR_RETURN(std::string n, QueryValue(*name));
    spec.target += "?name=" + n;
  }
  CAIRN_ASSIGN_OR_RETURN(HttpsResponse r, Call(std::move(spec), "read snapshot " + spec_text));
  return Manifest::Parse(AsBytes(r.body));
}

Result<OpenedPayload> ApplianceClient::GetChunk(const std::string& snapshot_id, const ChunkId& id) {
  HttpsRequest spec;
  CAIRN_ASSIGN_OR_RETURN(std::string sid, QueryValue(snapshot_id));
  spec.target = "/v1/snapshots/" + sid + "/chunks/" + id.Hex();
  CAIRN_ASSIGN_OR_RETURN(HttpsResponse r, Call(std::move(spec), "read chunk " + id.Hex()));
  // codec u8 | plain_size u32 LE | payload (docs/protocol.md, "Chunk download")
  if (r.body.size() < 5) return Status::Corruption("chunk " + id.Hex() + ": reply is truncated");
  const auto* p = reinterpret_cast<const std::uint8_t*>(r.body.data());
  OpenedPayload out;
  auto codec = CodecFromByte(p[0]);
  if (!codec.ok()) return codec.error().WithContext("chunk " + id.Hex());
  out.codec = *codec;
  out.plain_size = GetU32(p + 1);
  out.bytes.assign(p + 5, p + r.body.size());
  return out;
}

Result<std::string> ApplianceClient::GetSchedules() {
  HttpsRequest spec;
  spec.target = "/v1/agent/schedules";
  CAIRN_ASSIGN_OR_RETURN(HttpsResponse r, Call(std::move(spec), "fetch schedules"));
  return std::move(r.body);
}

}  // namespace cairn
