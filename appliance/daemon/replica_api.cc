#include "appliance/daemon/replica_api.h"

#include <algorithm>
#include <charconv>
#include <memory>

#include "core/base/duration.h"
#include "appliance/daemon/replica_store.h"
#include "core/base/log.h"
#include "core/pki/csr.h"
#include "core/protocol/pinned_token.h"
#include "core/store/store.h"
#include "sync/target/replica_layout.h"

namespace cairn {
namespace {

using json = nlohmann::json;

// The replication protocol's version, in the pair and probe replies.
constexpr int kReplicaProtocol = 1;

std::filesystem::path ReplicasDir(const ApplianceConfig& config) {
  return config.state_dir / "replicas";
}

// The bound of a PUT body at the route: the largest object of any kind;
// ReplicaStore then holds each kind to its own bound.
std::uint64_t MaxPutBody(const ApplianceConfig& config) {
  return std::max(
      {ReplicaStore::kMaxConfigBytes, Store::kMaxSealedChunkBytes, config.max_manifest_bytes});
}

HttpResponse Binary(const Bytes& data) {
  HttpResponse r;
  r.content_type = "application/octet-stream";
  r.body.assign(data.begin(), data.end());
  return r;
}

json PeerToJson(const Registry::PeerRecord& p) {
  auto opt = [](const std::optional<std::int64_t>& v) { return v ? json(*v) : json(nullptr); };
  return {{"id", p.id},
          {"name", p.name},
          {"remote_name", p.remote_name},
          {"cert_serial", p.cert_serial},
          {"cert_sha256", p.cert_sha256},
          {"created_unix_ns", p.created_unix_ns},
          {"cert_not_after_unix", p.cert_not_after_unix},
          {"revoked", p.revoked_unix_ns.has_value()},
          {"revoked_unix_ns", opt(p.revoked_unix_ns)},
          {"last_seen_unix_ns", opt(p.last_seen_unix_ns)},
          {"objects_held", p.objects_held},
          {"bytes_held", p.bytes_held}};
}

// The query's `key`, present and non-empty.
Result<std::string> KeyParam(const HttpRequest& req) {
  auto key = req.query_value("key");
  if (!key) return Status::InvalidArgument("missing query parameter key=<replica key>");
  return *key;
}

// One page of keys, the same JSON on both listeners:
// {"keys":[{"key","size"}],"truncated":bool,"next_after":key|null}.
HttpResponse KeysPage(ReplicaStore& store, const HttpRequest& req, const std::string& peer_id) {
  std::size_t limit = ReplicaStore::kMaxListLimit;
  if (auto text = req.query_value("limit")) {
    std::size_t parsed = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), parsed);
    if (ec != std::errc() || end != text->data() + text->size() || parsed == 0) {
      return ErrorResponse(Status::InvalidArgument("limit must be a positive integer"));
    }
    limit = std::min(parsed, ReplicaStore::kMaxListLimit);
  }
  auto page = store.List(peer_id, req.query_value("prefix").value_or(""),
                         req.query_value("after").value_or(""), limit);
  if (!page.ok()) return ErrorResponse(page.error());
  json keys = json::array();
  for (const ReplicaStore::Listed& k : page->keys)
    keys.push_back({{"key", k.key}, {"size", k.size}});
  json next = page->truncated && !page->keys.empty() ? json(page->keys.back().key) : json(nullptr);
  return JsonResponse(200, {{"keys", keys}, {"truncated", page->truncated}, {"next_after", next}});
}

// Wraps a handler that needs an authenticated replication peer; counts refusals.
HttpHandler PeerOnly(ApplianceServices& s,
                     std::function<HttpResponse(HttpRequest&, const Registry::PeerRecord&)> fn) {
  return [&s, fn = std::move(fn)](HttpRequest& req) {
    auto peer = AuthenticatePeer(req, s);
    if (!peer.ok()) {
      ++s.metrics.auth_failures;
      return ErrorResponse(peer.error());
    }
    return fn(req, *peer);
  };
}

HttpResponse Pair(HttpRequest& req, ApplianceServices& s) {
  const json body = json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("token") || !body["token"].is_string() ||
      !body.contains("csr_pem") || !body["csr_pem"].is_string() ||
      (body.contains("name") && !body["name"].is_string())) {
    return ErrorResponse(Status::InvalidArgument(
        "pair: expected a JSON object with \"token\" and \"csr_pem\" strings (and \"name\", "
        "optional)"));
  }
  const std::string token = body["token"].get<std::string>();
  const std::string csr_pem = body["csr_pem"].get<std::string>();
  const std::string remote_name = body.value("name", "");
  auto parsed = ParsePinnedToken(kPairingTokenKind, token);
  if (!parsed.ok()) return ErrorResponse(parsed.error());
  if (parsed->ca_sha256_hex != s.ca.sha256_hex()) {
    ++s.metrics.auth_failures;
    return ErrorResponse(Status::PermissionDenied(
        "this pairing token was created by another appliance (it pins CA " + parsed->ca_sha256_hex +
        "); create one on this appliance with `cairnctl peer token create`"));
  }
  // Check the CSR before redeeming: a malformed one must not burn the token.
  if (Status csr = pki::CheckClientCsr(csr_pem); !csr.ok()) return ErrorResponse(csr);
  auto peer_id = NewPeerId();
  if (!peer_id.ok()) return ErrorResponse(peer_id.error());
  // The certificate does not depend on the token, so it is issued first and
  // the redemption registers it in the same transaction; on refusal it is
  // simply never handed out.
  auto cert = s.ca.SignClientCsr(csr_pem, *peer_id, kPeerCertificateOrganization,
                                 s.config.agent_cert_validity);
  if (!cert.ok()) return ErrorResponse(cert.error());
  Registry::PeerRecord candidate;
  candidate.id = *peer_id;
  candidate.remote_name = remote_name;
  candidate.cert_serial = cert->serial_hex;
  candidate.cert_sha256 = cert->sha256_hex;
  candidate.cert_not_after_unix = cert->not_after_unix;
  auto peer = s.registry.RedeemPairingToken(token, candidate);
  if (!peer.ok()) {
    ++s.metrics.auth_failures;
    s.registry
        .Audit("peer:" + *peer_id, "peer.pair", parsed->id, "denied",
               {{"reason", peer.error().message()}, {"remote", req.remote_address}})
        .IgnoreError();
    Log(LogLevel::kWarn, "peer.pair_refused",
        {{"token", parsed->id},
         {"remote", req.remote_address},
         {"reason", peer.error().message()}});
    return ErrorResponse(peer.error());
  }
  s.registry
      .Audit("peer:" + peer->id, "peer.pair", peer->id, "ok",
             {{"name", peer->name},
              {"remote_name", remote_name},
              {"token", parsed->id},
              {"remote", req.remote_address}})
      .IgnoreError();
  ++s.metrics.peer_pairings;
  Log(LogLevel::kInfo, "peer.paired",
      {{"peer", peer->id}, {"name", peer->name}, {"remote_name", remote_name}});
  return JsonResponse(200, {{"peer_id", peer->id},
                            {"name", peer->name},
                            {"certificate_pem", cert->cert_pem},
                            {"ca_pem", s.ca.cert_pem()},
                            {"protocol", kReplicaProtocol}});
}

HttpResponse PutObject(HttpRequest& req, ApplianceServices& s, ReplicaStore& store,
                       const Registry::PeerRecord& peer) {
  auto key = KeyParam(req);
  if (!key.ok()) return ErrorResponse(key.error());
  s.metrics.replica_bytes_received += req.body.size();
  auto outcome = store.Put(peer.id, *key, AsBytes(req.body), s.config.max_manifest_bytes);
  if (!outcome.ok()) {
    if (!outcome.error().retryable()) {
      ++s.metrics.replica_refusals;
      Log(LogLevel::kWarn, "replica.put_refused",
          {{"peer", peer.id}, {"key", key->substr(0, 200)}, {"reason", outcome.error().message()}});
    }
    return ErrorResponse(outcome.error());
  }
  if (outcome->written) {
    ++s.metrics.replica_objects_stored;
    if (Status st =
            s.registry.AddPeerHoldings(peer.id, outcome->objects_delta, outcome->bytes_delta);
        !st.ok()) {
      // The object is durable; only the running sum is off. Said, not failed.
      Log(LogLevel::kWarn, "replica.count_failed", {{"peer", peer.id}, {"reason", st.message()}});
    }
    if (*key == kReplicaConfigKey) {
      // The config carries the peer's wrapped keys: rare, and worth a trace.
      s.registry
          .Audit("peer:" + peer.id, "replica.config", peer.id, "ok", {{"bytes", req.body.size()}})
          .IgnoreError();
    }
  } else {
    ++s.metrics.replica_objects_kept;
  }
  return JsonResponse(200,
                      {{"key", *key}, {"written", outcome->written}, {"size", req.body.size()}});
}

HttpResponse GetObject(HttpRequest& req, ApplianceServices& s, ReplicaStore& store,
                       const std::string& peer_id) {
  auto key = KeyParam(req);
  if (!key.ok()) return ErrorResponse(key.error());
  auto data =
      store.Get(peer_id, *key, ReplicaStore::MaxObjectBytes(*key, s.config.max_manifest_bytes));
  if (!data.ok()) return ErrorResponse(data.error());
  return Binary(*data);
}

}  // namespace

Result<Registry::PeerRecord> AuthenticatePeer(const HttpRequest& request,
                                              ApplianceServices& services) {
  if (!request.peer.has_certificate) {
    return Status::PermissionDenied(
        "this endpoint needs a replication peer's client certificate; pair first with a "
        "pairing token from this appliance (`cairnctl peer token create`)");
  }
  CAIRN_ASSIGN_OR_RETURN(auto peer, services.registry.FindPeerBySerial(request.peer.serial_hex));
  if (!peer || peer->cert_sha256 != request.peer.sha256_hex ||
      request.peer.organization != kPeerCertificateOrganization) {
    return Status::PermissionDenied(
        "certificate serial " + request.peer.serial_hex +
        " belongs to no paired replication peer of this appliance (an agent's certificate is "
        "not a peer's); pair again with a new pairing token");
  }
  if (peer->revoked_unix_ns) {
    return Status::PermissionDenied(
        "replication peer " + peer->id + " (" + peer->name +
        ") was revoked by this appliance's admin; ask them for a new pairing token and pair "
        "again");
  }
  services.registry.TouchPeer(peer->id).IgnoreError();  // last-seen is a figure, not a gate
  return *peer;
}

void AddReplicaIngestRoutes(Router& router, ApplianceServices& s) {
  using http::verb;
  // One store for every ingest request: its in-flight set is what keeps
  // two writes of one key apart.
  auto store = std::make_shared<ReplicaStore>(DefaultFileSystem(), ReplicasDir(s.config));
  router.Add(
      verb::post, "/v1/pair", [&s](HttpRequest& r) { return Pair(r, s); }, RouteOptions{64 << 10});
  router.Add(verb::get, "/v1/replica/probe",
             PeerOnly(s, [](HttpRequest&, const Registry::PeerRecord& p) {
               return JsonResponse(200, {{"peer_id", p.id},
                                         {"name", p.name},
                                         {"protocol", kReplicaProtocol},
                                         {"append_only", true},
                                         {"supports_locks", false},
                                         {"objects_held", p.objects_held},
                                         {"bytes_held", p.bytes_held}});
             }));
  router.Add(verb::put, "/v1/replica/object",
             PeerOnly(s,
                      [&s, store](HttpRequest& r, const Registry::PeerRecord& p) {
                        return PutObject(r, s, *store, p);
                      }),
             RouteOptions{MaxPutBody(s.config)});
  router.Add(verb::get, "/v1/replica/object",
             PeerOnly(s, [&s, store](HttpRequest& r, const Registry::PeerRecord& p) {
               return GetObject(r, s, *store, p.id);
             }));
  router.Add(verb::get, "/v1/replica/keys",
             PeerOnly(s, [store](HttpRequest& r, const Registry::PeerRecord& p) {
               return KeysPage(*store, r, p.id);
             }));
  router.Add(verb::delete_, "/v1/replica/object",
             PeerOnly(s, [&s](HttpRequest& r, const Registry::PeerRecord& p) {
               ++s.metrics.replica_refusals;
               s.registry
                   .Audit("peer:" + p.id, "replica.delete", r.query_value("key").value_or(""),
                          "denied")
                   .IgnoreError();
               return ErrorResponse(Status::PermissionDenied(
                   "replicas on this appliance are append-only: a peer cannot delete or replace "
                   "what it pushed (pruning comes with retention, run by this appliance)"));
             }));
}

HttpResponse CreatePeerToken(HttpRequest& req, ApplianceServices& s, const std::string& actor) {
  const json body = json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("name") || !body["name"].is_string() ||
      (body.contains("ttl") && !body["ttl"].is_string())) {
    return ErrorResponse(
        Status::InvalidArgument("expected {\"name\": PEER-NAME, \"ttl\": \"24h\"} (ttl optional)"));
  }
  std::chrono::seconds ttl = s.config.default_token_ttl;
  if (body.contains("ttl")) {
    auto parsed = ParseDuration(body["ttl"].get<std::string>());
    if (!parsed.ok()) return ErrorResponse(parsed.error().WithContext("ttl"));
    ttl = *parsed;
  }
  const std::string name = body["name"].get<std::string>();
  auto token = s.registry.CreatePairingToken(name, ttl, s.ca.sha256_hex(), actor);
  s.registry
      .Audit(actor, "peer-token.create", name, token.ok() ? "ok" : "failed",
             {{"token_id", token.ok() ? token->id : ""},
              {"ttl_seconds", ttl.count()},
              {"error", token.ok() ? "" : token.error().message()}})
      .IgnoreError();
  if (!token.ok()) return ErrorResponse(token.error());
  return JsonResponse(201, {{"token", token->text},
                            {"id", token->id},
                            {"name", token->peer_name},
                            {"expires_unix_ns", token->expires_unix_ns},
                            {"ca_sha256", s.ca.sha256_hex()}});
}

HttpResponse ListPeers(ApplianceServices& s) {
  auto peers = s.registry.ListPeers();
  if (!peers.ok()) return ErrorResponse(peers.error());
  json out = json::array();
  for (const Registry::PeerRecord& p : *peers) out.push_back(PeerToJson(p));
  return JsonResponse(200, {{"peers", out}});
}

HttpResponse RevokePeer(HttpRequest& req, ApplianceServices& s, const std::string& actor) {
  const std::string id = req.params["id"];
  Status st = s.registry.RevokePeer(id);
  s.registry.Audit(actor, "peer.revoke", id, st.ok() ? "ok" : "failed", {{"error", st.message()}})
      .IgnoreError();
  if (!st.ok()) return ErrorResponse(st);
  Log(LogLevel::kInfo, "peer.revoked", {{"peer", id}});
  return JsonResponse(200, {{"revoked", id}});
}

namespace {

// The admin reads resolve the peer first: an unknown id is 404 before any
// path is formed, a revoked peer's replica stays readable (recovery).
Status CheckKnownPeer(ApplianceServices& s, const std::string& peer_id) {
  CAIRN_ASSIGN_OR_RETURN(std::optional<Registry::PeerRecord> peer, s.registry.FindPeer(peer_id));
  if (!peer) return Status::NotFound("no replication peer " + peer_id.substr(0, 80));
  return Status::Ok();
}

}  // namespace

HttpResponse ReadReplicaObject(HttpRequest& req, ApplianceServices& s, const std::string& actor) {
  const std::string peer_id = req.params["peer"];
  if (Status known = CheckKnownPeer(s, peer_id); !known.ok()) return ErrorResponse(known);
  ReplicaStore store(DefaultFileSystem(), ReplicasDir(s.config));
  HttpResponse r = GetObject(req, s, store, peer_id);
  const std::string key = req.query_value("key").value_or("");
  if (r.status == 200 && !key.starts_with(kReplicaChunksPrefix)) {
    // Config and manifests mark a recovery; chunks would flood the log.
    s.registry.Audit(actor, "replica.read", peer_id + "/" + key.substr(0, 200), "ok").IgnoreError();
  }
  return r;
}

HttpResponse ListReplicaKeys(HttpRequest& req, ApplianceServices& s) {
  const std::string peer_id = req.params["peer"];
  if (Status known = CheckKnownPeer(s, peer_id); !known.ok()) return ErrorResponse(known);
  ReplicaStore store(DefaultFileSystem(), ReplicasDir(s.config));
  return KeysPage(store, req, peer_id);
}

std::string RenderReplicaMetrics(ApplianceServices& s) {
  std::string out;
  const ApplianceMetrics& m = s.metrics;
  const struct {
    const char* name;
    const char* help;
    const std::atomic<std::uint64_t>& value;
  } counters[] = {
      {"cairn_replica_bytes_received_total", "Object bytes replication peers pushed here.",
       m.replica_bytes_received},
      {"cairn_replica_objects_stored_total", "New objects stored for replication peers.",
       m.replica_objects_stored},
      {"cairn_replica_objects_kept_total",
       "Objects peers sent again that were already held (not rewritten).", m.replica_objects_kept},
      {"cairn_replica_refusals_total",
       "Replica writes and deletes refused (bad key, size, changed manifest, delete).",
       m.replica_refusals},
      {"cairn_peer_pairings_total", "Replication peers paired.", m.peer_pairings},
  };
  for (const auto& c : counters) {
    AppendMetric(out, c.name, "counter", c.help, static_cast<double>(c.value.load()));
  }
  if (auto peers = s.registry.ListPeers(); peers.ok()) {
    // One family at a time: AppendMetric writes HELP/TYPE once per family.
    for (const bool bytes : {true, false}) {
      for (const Registry::PeerRecord& p : *peers) {
        AppendMetric(out, bytes ? "cairn_replica_peer_bytes" : "cairn_replica_peer_objects",
                     "gauge", bytes ? "Bytes held for each peer." : "Objects held for each peer.",
                     static_cast<double>(bytes ? p.bytes_held : p.objects_held),
                     "peer=\"" + p.id + "\",name=\"" + p.name + "\"");
      }
    }
  } else {
    ++s.metrics.errors;
  }
  return out;
}

}  // namespace cairn
