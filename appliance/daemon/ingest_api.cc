#include "appliance/daemon/ingest_api.h"

#include "appliance/daemon/replica_api.h"
#include "appliance/daemon/schedules_api.h"

#include "core/pki/csr.h"
#include "core/protocol/enrollment_token.h"
#include "core/base/log.h"
#include "core/crypto/random.h"
#include "core/engine/local_backup_target.h"
#include "core/protocol/chunk_batch.h"
#include "core/protocol/dedup_params_json.h"
#include "core/protocol/snapshot_json.h"

namespace cairn {
namespace {

using json = nlohmann::json;

constexpr std::size_t kMaxMissingQuery = 16384;  // ids per POST /v1/chunks/missing

HttpResponse Binary(std::string body) {
  HttpResponse r;
  r.content_type = "application/octet-stream";
  r.body = std::move(body);
  return r;
}

// Wraps a handler that needs an authenticated agent; counts refusals.
HttpHandler AgentOnly(ApplianceServices& s,
                      std::function<HttpResponse(HttpRequest&, const Registry::AgentRecord&)> fn) {
  return [&s, fn = std::move(fn)](HttpRequest& req) {
    auto agent = AuthenticateAgent(req, s);
    if (!agent.ok()) {
      ++s.metrics.auth_failures;
      return ErrorResponse(agent.error());
    }
    return fn(req, *agent);
  };
}

HttpResponse Enroll(HttpRequest& req, ApplianceServices& s) {
  const json body = json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("token") || !body["token"].is_string() ||
      !body.contains("csr_pem") || !body["csr_pem"].is_string()) {
    return ErrorResponse(Status::InvalidArgument(
        "enroll: expected a JSON object with \"token\" and \"csr_pem\" strings"));
  }
  for (const char* optional : {"cluster", "hostname"}) {
    if (body.contains(optional) && !body[optional].is_string()) {
      return ErrorResponse(Status::InvalidArgument(std::string("enroll: \"") + optional +
                                                   "\" must be a string"));
    }
  }
  const std::string token = body["token"].get<std::string>();
  const std::string cluster_wanted = body.value("cluster", "");
  const std::string hostname = body.value("hostname", "");
  auto parsed = ParseEnrollmentToken(token);
  if (!parsed.ok()) return ErrorResponse(parsed.error());
  if (parsed->ca_sha256_hex != s.ca.sha256_hex()) {
    ++s.metrics.auth_failures;
    return ErrorResponse(Status::PermissionDenied(
        "this token was created by another appliance (it pins CA " + parsed->ca_sha256_hex +
        "); create a token on this appliance with `cairnctl token create`"));
  }
  std::uint8_t raw[8];
  if (Status st = FillRandom(raw); !st.ok()) return ErrorResponse(st);
  const std::string agent_id = "ag-" + ToHex(raw);
  // Check the CSR before redeeming: a malformed one must not burn the token.
  if (Status csr = pki::CheckClientCsr(body["csr_pem"].get<std::string>()); !csr.ok()) {
    return ErrorResponse(csr);
  }
  auto cluster = s.registry.RedeemEnrollmentToken(token, cluster_wanted, agent_id);
  if (!cluster.ok()) {
    ++s.metrics.auth_failures;
    s.registry.Audit("agent:" + agent_id, "agent.enroll", parsed->id, "denied",
                     {{"reason", cluster.error().message()}, {"remote", req.remote_address}})
        .IgnoreError();
    Log(LogLevel::kWarn, "enroll.refused",
        {{"token", parsed->id}, {"remote", req.remote_address}, {"reason", cluster.error().message()}});
    return ErrorResponse(cluster.error());
  }
  // The real certificate names the cluster (O) the token granted.
  auto cert = s.ca.SignClientCsr(body["csr_pem"].get<std::string>(), agent_id, *cluster,
                            s.config.agent_cert_validity);
  if (!cert.ok()) return ErrorResponse(cert.error());
  Registry::AgentRecord agent;
  agent.id = agent_id;
  agent.cluster = *cluster;
  agent.common_name = agent_id;
  agent.cert_serial = cert->serial_hex;
  agent.cert_sha256 = cert->sha256_hex;
  agent.cert_not_after_unix = cert->not_after_unix;
  if (Status st = s.registry.RegisterAgent(agent); !st.ok()) return ErrorResponse(st);
  s.registry.Audit("agent:" + agent_id, "agent.enroll", agent_id, "ok",
                   {{"cluster", *cluster}, {"token", parsed->id}, {"hostname", hostname},
                    {"remote", req.remote_address}})
      .IgnoreError();
  ++s.metrics.enrollments;
  Log(LogLevel::kInfo, "agent.enrolled",
      {{"agent", agent_id}, {"cluster", *cluster}, {"hostname", hostname}});
  return JsonResponse(200, {{"agent_id", agent_id},
                            {"cluster", *cluster},
                            {"certificate_pem", cert->cert_pem},
                            {"ca_pem", s.ca.cert_pem()},
                            {"protocol", 1},
                            {"dedup", DedupParamsToJson(DedupParamsOf(s.store.store()))}});
}

HttpResponse Missing(HttpRequest& req, ApplianceServices& s) {
  auto ids = DecodeChunkIds(AsBytes(req.body), kMaxMissingQuery);
  if (!ids.ok()) return ErrorResponse(ids.error());
  return Binary(EncodeChunkIds(s.ingest.Missing(*ids)));
}

HttpResponse Upload(HttpRequest& req, ApplianceServices& s, const Registry::AgentRecord& agent) {
  struct Active {  // the active-uploads gauge, exact even on early returns
    std::atomic<std::uint64_t>& g;
    explicit Active(std::atomic<std::uint64_t>& gauge) : g(gauge) { ++g; }
    ~Active() { --g; }
  } active(s.metrics.active_uploads);
  auto frames = DecodeChunkBatch(AsBytes(req.body), s.ingest.limits());
  if (!frames.ok()) return ErrorResponse(frames.error());
  auto accepted = s.ingest.Accept(*frames);
  if (!accepted.ok()) {
    if (accepted.error().IsInvalidArgument()) {
      ++s.metrics.ingest_chunks_refused;
      Log(LogLevel::kWarn, "chunk.refused",
          {{"agent", agent.id}, {"reason", accepted.error().message()}});
    }
    return ErrorResponse(accepted.error());
  }
  s.metrics.ingest_bytes += accepted->bytes_received;
  s.metrics.ingest_chunks_stored += accepted->stored;
  s.metrics.ingest_chunks_deduplicated += accepted->already_present;
  return JsonResponse(200, {{"stored", accepted->stored},
                            {"already_present", accepted->already_present},
                            {"bytes_stored", accepted->bytes_stored}});
}

HttpResponse Commit(HttpRequest& req, ApplianceServices& s, const Registry::AgentRecord& agent) {
  auto manifest = Manifest::Parse(AsBytes(req.body));
  if (!manifest.ok()) {
    return ErrorResponse(Status::InvalidArgument("snapshot manifest refused: " +
                                                 manifest.error().message()));
  }
  const std::string name = manifest->name;
  auto outcome = s.ingest.Commit(std::move(*manifest), agent.cluster);
  if (!outcome.ok()) return ErrorResponse(outcome.error());
  if (!outcome->missing.empty()) {
    json missing = json::array();
    for (const ChunkId& id : outcome->missing) missing.push_back(id.Hex());
    HttpResponse r = JsonResponse(
        409, {{"error",
               {{"code", "missing_chunks"},
                {"message", std::to_string(outcome->missing.size()) +
                                " referenced chunk(s) are not on the appliance; upload them "
                                "and commit again"}}},
              {"missing", missing}});
    return r;
  }
  ++s.metrics.snapshots_committed;
  Log(LogLevel::kInfo, "snapshot.committed",
      {{"agent", agent.id}, {"cluster", agent.cluster}, {"name", name},
       {"snapshot", outcome->snapshot_id}, {"bytes_new", std::to_string(outcome->bytes_new)}});
  // Synchronous targets: the backup is complete only once they hold it, or
  // once they are found down (then the answer says it went asynchronous).
  json replication = json::array();
  if (s.replication) {
    s.replication->NotifySnapshotCommitted();
    for (const SyncOutcome& o : s.replication->WaitForSynchronousTargets(
             outcome->snapshot_id, std::chrono::duration_cast<std::chrono::milliseconds>(
                                       s.config.synchronous_timeout))) {
      replication.push_back({{"target", o.target}, {"replicated", o.replicated}, {"detail", o.detail}});
    }
  }
  return JsonResponse(201, {{"snapshot_id", outcome->snapshot_id},
                            {"manifest_bytes", outcome->manifest_bytes},
                            {"chunks_new", outcome->chunks_new},
                            {"bytes_new", outcome->bytes_new},
                            {"bytes_stored", outcome->bytes_stored},
                            {"replication", replication}});
}

HttpResponse ListSnapshots(HttpRequest& req, ApplianceServices& s,
                           const Registry::AgentRecord& agent) {
  auto list = s.store.ListSnapshots(agent.cluster, req.query_value("name"));
  if (!list.ok()) return ErrorResponse(list.error());
  json out = json::array();
  for (const SnapshotRecord& r : *list) out.push_back(SnapshotRecordToJson(r));
  return JsonResponse(200, {{"snapshots", out}});
}

HttpResponse GetManifest(HttpRequest& req, ApplianceServices& s,
                         const Registry::AgentRecord& agent) {
  auto record = s.store.Resolve(req.params["id"], agent.cluster, req.query_value("name"));
  if (!record.ok()) return ErrorResponse(record.error());
  auto manifest = s.store.ReadManifest(*record);
  if (!manifest.ok()) return ErrorResponse(manifest.error());
  HttpResponse r;
  r.body = manifest->Serialize();
  return r;
}

HttpResponse GetChunk(HttpRequest& req, ApplianceServices& s, const Registry::AgentRecord& agent) {
  auto id = ChunkId::FromHex(req.params["chunk"]);
  if (!id) return ErrorResponse(Status::InvalidArgument("not a chunk id: " + req.params["chunk"]));
  auto record = s.store.Resolve(req.params["id"], agent.cluster, std::nullopt);
  if (!record.ok()) return ErrorResponse(record.error());
  auto payload = s.access.ReadForSnapshot(*record, *id);
  if (!payload.ok()) return ErrorResponse(payload.error());
  std::string body(5 + payload->bytes.size(), '\0');
  body[0] = static_cast<char>(payload->codec);
  PutU32(reinterpret_cast<std::uint8_t*>(body.data() + 1), payload->plain_size);
  std::memcpy(body.data() + 5, payload->bytes.data(), payload->bytes.size());
  return Binary(std::move(body));
}

}  // namespace

Result<Registry::AgentRecord> AuthenticateAgent(const HttpRequest& request,
                                                ApplianceServices& services) {
  if (!request.peer.has_certificate) {
    return Status::PermissionDenied(
        "this endpoint needs an agent's client certificate; enroll with `cairn-agent enroll`");
  }
  CAIRN_ASSIGN_OR_RETURN(auto agent, services.registry.FindAgentBySerial(request.peer.serial_hex));
  if (!agent || agent->cert_sha256 != request.peer.sha256_hex) {
    if (request.peer.organization == kPeerCertificateOrganization) {
      // Peers and agents share the CA, never a table: a peer is refused here.
      return Status::PermissionDenied(
          "this is a replication peer's certificate; agent routes need an agent's (enroll "
          "with `cairn-agent enroll`)");
    }
    return Status::PermissionDenied("certificate serial " + request.peer.serial_hex +
                                    " belongs to no enrolled agent; enroll again");
  }
  if (agent->revoked_unix_ns) {
    return Status::PermissionDenied("agent " + agent->id +
                                    " has been revoked; an operator must enroll it again");
  }
  services.registry.TouchAgent(agent->id).IgnoreError();  // last-seen is a figure, not a gate
  return *agent;
}

void AddIngestRoutes(Router& router, ApplianceServices& s) {
  using http::verb;
  AddReplicaIngestRoutes(router, s);  // replication peers (replica_api.h)
  router.Add(verb::get, "/v1/healthz", [](HttpRequest&) {
    return JsonResponse(200, {{"status", "ok"}});
  });
  router.Add(verb::post, "/v1/enroll", [&s](HttpRequest& r) { return Enroll(r, s); },
             RouteOptions{64 << 10});
  router.Add(verb::get, "/v1/session", AgentOnly(s, [&s](HttpRequest&, const auto& agent) {
               return JsonResponse(200, {{"agent_id", agent.id},
                                         {"cluster", agent.cluster},
                                         {"protocol", 1},
                                         {"dedup", DedupParamsToJson(DedupParamsOf(s.store.store()))}});
             }));
  router.Add(verb::post, "/v1/chunks/missing",
             AgentOnly(s, [&s](HttpRequest& r, const auto&) { return Missing(r, s); }),
             RouteOptions{kMaxMissingQuery * ChunkId::kSize});
  router.Add(verb::post, "/v1/chunks",
             AgentOnly(s, [&s](HttpRequest& r, const auto& a) { return Upload(r, s, a); }),
             RouteOptions{s.config.max_chunk_batch_bytes});
  router.Add(verb::post, "/v1/snapshots",
             AgentOnly(s, [&s](HttpRequest& r, const auto& a) { return Commit(r, s, a); }),
             RouteOptions{s.config.max_manifest_bytes});
  router.Add(verb::get, "/v1/snapshots",
             AgentOnly(s, [&s](HttpRequest& r, const auto& a) { return ListSnapshots(r, s, a); }));
  router.Add(verb::get, "/v1/snapshots/{id}/manifest",
             AgentOnly(s, [&s](HttpRequest& r, const auto& a) { return GetManifest(r, s, a); }));
  router.Add(verb::get, "/v1/agent/schedules",
             AgentOnly(s, [&s](HttpRequest&, const auto& a) { return AgentSchedules(s, a); }));
  router.Add(verb::get, "/v1/snapshots/{id}/chunks/{chunk}",
             AgentOnly(s, [&s](HttpRequest& r, const auto& a) { return GetChunk(r, s, a); }));
}

}  // namespace cairn
