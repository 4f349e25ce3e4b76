#include "appliance/daemon/admin_api.h"

#include <map>

#include "core/base/duration.h"
#include "appliance/daemon/jobs_api.h"
#include "appliance/daemon/replica_api.h"
#include "appliance/daemon/retention_api.h"
#include "appliance/daemon/schedules_api.h"
#include "appliance/daemon/targets_api.h"
#include "appliance/daemon/tar_export.h"
#include "core/base/log.h"
#include "core/protocol/snapshot_json.h"
#include "core/store/chunk_reader.h"

namespace cairn {
namespace {

using json = nlohmann::json;

// The caller of an admin request, once its token checked out.
struct Caller {
  Registry::ApiTokenRecord token;
  std::string actor() const { return "api-token:" + token.id + "(" + token.name + ")"; }
};

json AgentToJson(const Registry::AgentRecord& a) {
  return {{"id", a.id},
          {"cluster", a.cluster},
          {"common_name", a.common_name},
          {"cert_serial", a.cert_serial},
          {"cert_sha256", a.cert_sha256},
          {"created_unix_ns", a.created_unix_ns},
          {"cert_not_after_unix", a.cert_not_after_unix},
          {"revoked", a.revoked_unix_ns.has_value()},
          {"revoked_unix_ns", a.revoked_unix_ns ? json(*a.revoked_unix_ns) : json(nullptr)},
          {"last_seen_unix_ns", a.last_seen_unix_ns ? json(*a.last_seen_unix_ns) : json(nullptr)}};
}

json ApiTokenToJson(const Registry::ApiTokenRecord& t) {
  return {{"id", t.id},
          {"name", t.name},
          {"role", std::string(RoleName(t.role))},
          {"created_unix_ns", t.created_unix_ns},
          {"revoked", t.revoked_unix_ns.has_value()},
          {"last_used_unix_ns", t.last_used_unix_ns ? json(*t.last_used_unix_ns) : json(nullptr)}};
}

using AdminHandler = std::function<HttpResponse(HttpRequest&, const Caller&)>;

// Authenticates the bearer token and checks `permission`; refusals are 401
// (no or bad token) or 403 (role lacks the permission, audited).
HttpHandler Guarded(ApplianceServices& s, Permission permission, std::string action,
                    AdminHandler fn) {
  return [&s, permission, action = std::move(action), fn = std::move(fn)](HttpRequest& req) {
    const std::string auth = req.header("Authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (auth.size() <= kBearer.size() || auth.compare(0, kBearer.size(), kBearer) != 0) {
      ++s.metrics.auth_failures;
      return ErrorResponse(401, "unauthenticated",
                           "send an API token as 'Authorization: Bearer <token>' (create one "
                           "with `cairnctl api-token create`; the first is printed by "
                           "`cairn-appliance init`)");
    }
    auto token = s.registry.AuthenticateApiToken(auth.substr(kBearer.size()));
    if (!token.ok()) {
      ++s.metrics.auth_failures;
      return ErrorResponse(401, "unauthenticated", token.error().message());
    }
    Caller caller{*token};
    if (!RoleAllows(token->role, permission)) {
      ++s.metrics.auth_failures;
      s.registry.Audit(caller.actor(), action, req.path, "denied",
                       {{"role", std::string(RoleName(token->role))}})
          .IgnoreError();
      return ErrorResponse(Status::PermissionDenied(
          "role '" + std::string(RoleName(token->role)) + "' may not " +
          std::string(PermissionName(permission)) + "; use a token with a role that may"));
    }
    return fn(req, caller);
  };
}

HttpResponse StatusReport(ApplianceServices& s) {
  auto stats = s.store.Stats();
  if (!stats.ok()) return ErrorResponse(stats.error());
  auto agents = s.registry.ListAgents();
  if (!agents.ok()) return ErrorResponse(agents.error());
  std::size_t active_agents = 0;
  for (const auto& a : *agents) active_agents += a.revoked_unix_ns ? 0 : 1;
  auto clusters = s.registry.ListClusters();
  if (!clusters.ok()) return ErrorResponse(clusters.error());
  auto latest = s.store.WithCatalog([](Catalog& c) { return c.LatestSnapshot(); });
  if (!latest.ok()) return ErrorResponse(latest.error());
  const std::int64_t now = s.clock.NowUnixNanos();
  json j{{"version", "0.1.0"},
         {"store_id", s.store.store().config().StoreIdHex()},
         {"uptime_seconds", (now - s.started_unix_ns) / 1'000'000'000},
         {"snapshots", stats->snapshot_count},
         {"chunks", stats->chunk_count},
         {"bytes_unique", stats->plain_bytes},
         {"bytes_stored", stats->stored_bytes},
         {"clusters", clusters->size()},
         {"agents", active_agents},
         {"ca_sha256", s.ca.sha256_hex()},
         {"ingest",
          {{"bytes", s.metrics.ingest_bytes.load()},
           {"chunks_stored", s.metrics.ingest_chunks_stored.load()},
           {"chunks_deduplicated", s.metrics.ingest_chunks_deduplicated.load()},
           {"active_uploads", s.metrics.active_uploads.load()},
           {"pending_chunks", s.ingest.received_count()}}},
         {"listeners", s.listener_stats()}};
  j["newest_snapshot_unix_ns"] = *latest ? json((*latest)->created_unix_ns) : json(nullptr);
  return JsonResponse(200, j);
}

HttpResponse Clusters(ApplianceServices& s) {
  auto names = s.registry.ListClusters();
  if (!names.ok()) return ErrorResponse(names.error());
  auto agents = s.registry.ListAgents();
  if (!agents.ok()) return ErrorResponse(agents.error());
  auto snaps = s.store.ListSnapshots(std::nullopt, std::nullopt);
  if (!snaps.ok()) return ErrorResponse(snaps.error());
  std::map<std::string, json> by_name;
  for (const std::string& n : *names) {
    by_name[n] = {{"name", n}, {"agents", 0}, {"snapshots", 0}, {"bytes", 0},
                  {"bytes_stored", 0}, {"newest_snapshot_unix_ns", nullptr}};
  }
  for (const auto& a : *agents) {
    if (!a.revoked_unix_ns && by_name.contains(a.cluster)) {
      by_name[a.cluster]["agents"] = by_name[a.cluster]["agents"].get<int>() + 1;
    }
  }
  for (const SnapshotRecord& r : *snaps) {
    if (!by_name.contains(r.cluster)) continue;  // local-mode snapshots
    json& c = by_name[r.cluster];
    c["snapshots"] = c["snapshots"].get<std::uint64_t>() + 1;
    c["bytes"] = c["bytes"].get<std::uint64_t>() + r.bytes_read;
    c["bytes_stored"] = c["bytes_stored"].get<std::uint64_t>() + r.bytes_stored;
    c["newest_snapshot_unix_ns"] = r.created_unix_ns;  // listed oldest first
  }
  json out = json::array();
  for (auto& [n, c] : by_name) out.push_back(std::move(c));
  return JsonResponse(200, {{"clusters", out}});
}

HttpResponse CreateToken(HttpRequest& req, const Caller& caller, ApplianceServices& s) {
  const json body = json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("cluster") || !body["cluster"].is_string()) {
    return ErrorResponse(Status::InvalidArgument(
        "expected {\"cluster\": NAME, \"ttl\": \"24h\"} (ttl optional)"));
  }
  std::chrono::seconds ttl = s.config.default_token_ttl;
  if (body.contains("ttl")) {
    if (!body["ttl"].is_string()) return ErrorResponse(Status::InvalidArgument("ttl must be a string like \"24h\""));
    auto parsed = ParseDuration(body["ttl"].get<std::string>());
    if (!parsed.ok()) return ErrorResponse(parsed.error().WithContext("ttl"));
    ttl = *parsed;
  }
  const std::string cluster = body["cluster"].get<std::string>();
  auto token = s.registry.CreateEnrollmentToken(cluster, ttl, s.ca.sha256_hex(), caller.actor());
  s.registry.Audit(caller.actor(), "enrollment-token.create", cluster, token.ok() ? "ok" : "failed",
                   {{"token_id", token.ok() ? token->id : ""}, {"ttl_seconds", ttl.count()}})
      .IgnoreError();
  if (!token.ok()) return ErrorResponse(token.error());
  return JsonResponse(201, {{"token", token->text},
                            {"id", token->id},
                            {"cluster", token->cluster},
                            {"expires_unix_ns", token->expires_unix_ns},
                            {"ca_sha256", s.ca.sha256_hex()}});
}

HttpResponse RestoreTar(HttpRequest& req, const Caller& caller, ApplianceServices& s) {
  auto record = s.store.Resolve(req.params["id"], req.query_value("cluster"), req.query_value("name"));
  if (!record.ok()) return ErrorResponse(record.error());
  auto manifest = s.store.ReadManifest(*record);
  if (!manifest.ok()) return ErrorResponse(manifest.error());
  auto exported = TarExport::Start(s.store, std::move(*manifest));
  if (!exported.ok()) return ErrorResponse(exported.error());
  s.registry.Audit(caller.actor(), "snapshot.restore", record->id, "ok",
                   {{"cluster", record->cluster}, {"name", record->name}, {"format", "tar"}})
      .IgnoreError();
  Log(LogLevel::kInfo, "restore.started", {{"snapshot", record->id}, {"actor", caller.actor()}});
  HttpResponse r;
  r.content_type = "application/x-tar";
  r.headers.push_back({"X-Cairn-Snapshot", record->id});
  std::shared_ptr<TarExport> ex = *exported;
  r.stream = [ex]() { return ex->Next(); };
  return r;
}

}  // namespace

std::string RenderMetrics(ApplianceServices& s) {
  std::string out;
  const ApplianceMetrics& m = s.metrics;
  AppendMetric(out, "cairn_ingest_bytes_total", "counter", "Chunk payload bytes received from agents.",
               static_cast<double>(m.ingest_bytes.load()));
  AppendMetric(out, "cairn_ingest_chunks_stored_total", "counter", "Chunks stored from uploads.",
               static_cast<double>(m.ingest_chunks_stored.load()));
  AppendMetric(out, "cairn_ingest_chunks_deduplicated_total", "counter",
               "Uploaded chunks the store already had.",
               static_cast<double>(m.ingest_chunks_deduplicated.load()));
  AppendMetric(out, "cairn_ingest_chunks_refused_total", "counter",
               "Uploaded chunks refused because their content did not match their id.",
               static_cast<double>(m.ingest_chunks_refused.load()));
  AppendMetric(out, "cairn_active_uploads", "gauge", "Chunk upload requests in progress.",
               static_cast<double>(m.active_uploads.load()));
  AppendMetric(out, "cairn_snapshots_committed_total", "counter", "Snapshots committed by agents.",
               static_cast<double>(m.snapshots_committed.load()));
  AppendMetric(out, "cairn_enrollments_total", "counter", "Agents enrolled.",
               static_cast<double>(m.enrollments.load()));
  AppendMetric(out, "cairn_auth_failures_total", "counter", "Refused tokens and certificates.",
               static_cast<double>(m.auth_failures.load()));
  AppendMetric(out, "cairn_errors_total", "counter", "Requests that failed on the appliance's side.",
               static_cast<double>(m.errors.load()));
  if (auto stats = s.store.Stats(); stats.ok()) {
    AppendMetric(out, "cairn_snapshots", "gauge", "Snapshots in the store.",
                 static_cast<double>(stats->snapshot_count));
    AppendMetric(out, "cairn_store_chunks", "gauge", "Chunks in the catalog.",
                 static_cast<double>(stats->chunk_count));
    AppendMetric(out, "cairn_store_unique_bytes", "gauge", "Plaintext bytes of distinct chunks.",
                 static_cast<double>(stats->plain_bytes));
    AppendMetric(out, "cairn_store_stored_bytes", "gauge", "Sealed bytes of distinct chunks on disk.",
                 static_cast<double>(stats->stored_bytes));
    // One aggregate query, not a listing of every snapshot per scrape.
    AppendMetric(out, "cairn_dedup_ratio", "gauge", "Logical bytes of all snapshots per stored byte.",
                 stats->stored_bytes ? static_cast<double>(stats->logical_bytes) /
                                           static_cast<double>(stats->stored_bytes)
                                     : 0.0);
  } else {
    ++s.metrics.errors;
  }
  out += RenderReplicationMetrics(s);
  const json listeners = s.listener_stats();
  for (const auto& [name, st] : listeners.items()) {
    const std::string label = "listener=\"" + name + "\"";
    for (const auto& [key, value] : st.items()) {
      if (!value.is_number()) continue;
      AppendMetric(out, "cairn_listener_" + key, "gauge", "Listener connection figures.",
                   value.get<double>(), label);
    }
  }
  out += RenderReplicaMetrics(s);  // replicas peers pushed here
  return out;
}

void AddAdminRoutes(Router& router, ApplianceServices& s) {
  using http::verb;
  router.Add(verb::get, "/v1/healthz", [](HttpRequest&) {
    return JsonResponse(200, {{"status", "ok"}});
  });
  router.Add(verb::get, "/metrics", [&s](HttpRequest&) {
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = RenderMetrics(s);
    return r;
  });
  router.Add(verb::get, "/v1/status",
             Guarded(s, Permission::kRead, "status.read",
                     [&s](HttpRequest&, const Caller&) { return StatusReport(s); }));
  router.Add(verb::get, "/v1/clusters",
             Guarded(s, Permission::kRead, "clusters.list",
                     [&s](HttpRequest&, const Caller&) { return Clusters(s); }));
  router.Add(verb::get, "/v1/agents",
             Guarded(s, Permission::kRead, "agents.list", [&s](HttpRequest& req, const Caller&) {
               auto list = s.registry.ListAgents(req.query_value("cluster"));
               if (!list.ok()) return ErrorResponse(list.error());
               json out = json::array();
               for (const auto& a : *list) out.push_back(AgentToJson(a));
               return JsonResponse(200, {{"agents", out}});
             }));
  router.Add(verb::post, "/v1/agents/{id}/revoke",
             Guarded(s, Permission::kManageAgents, "agent.revoke",
                     [&s](HttpRequest& req, const Caller& c) {
                       Status st = s.registry.RevokeAgent(req.params["id"]);
                       s.registry.Audit(c.actor(), "agent.revoke", req.params["id"],
                                        st.ok() ? "ok" : "failed", {{"error", st.message()}})
                           .IgnoreError();
                       if (!st.ok()) return ErrorResponse(st);
                       Log(LogLevel::kInfo, "agent.revoked", {{"agent", req.params["id"]}});
                       return JsonResponse(200, {{"revoked", req.params["id"]}});
                     }));
  router.Add(verb::get, "/v1/clusters/{cluster}/schedules",
             Guarded(s, Permission::kRead, "schedules.list",
                     [&s](HttpRequest& req, const Caller&) { return ListClusterSchedules(req, s); }));
  router.Add(verb::put, "/v1/clusters/{cluster}/schedules/{name}",
             Guarded(s, Permission::kManageSchedules, "schedule.set",
                     [&s](HttpRequest& req, const Caller& c) {
                       return PutClusterSchedule(req, s, c.actor());
                     }));
  router.Add(verb::delete_, "/v1/clusters/{cluster}/schedules/{name}",
             Guarded(s, Permission::kManageSchedules, "schedule.remove",
                     [&s](HttpRequest& req, const Caller& c) {
                       return DeleteClusterSchedule(req, s, c.actor());
                     }));
  router.Add(verb::get, "/v1/targets",
             Guarded(s, Permission::kRead, "targets.list",
                     [&s](HttpRequest&, const Caller&) { return ListTargets(s); }));
  router.Add(verb::get, "/v1/targets/{name}",
             Guarded(s, Permission::kRead, "target.show",
                     [&s](HttpRequest& req, const Caller&) { return GetTarget(req, s); }));
  router.Add(verb::post, "/v1/targets",
             Guarded(s, Permission::kWriteConfig, "target.add",
                     [&s](HttpRequest& req, const Caller& c) { return AddTarget(req, s, c.actor()); }),
             RouteOptions{64 << 10});
  router.Add(verb::delete_, "/v1/targets/{name}",
             Guarded(s, Permission::kWriteConfig, "target.remove",
                     [&s](HttpRequest& req, const Caller& c) { return RemoveTarget(req, s, c.actor()); }));
  router.Add(verb::post, "/v1/tokens",
             Guarded(s, Permission::kManageTokens, "enrollment-token.create",
                     [&s](HttpRequest& req, const Caller& c) { return CreateToken(req, c, s); }));
  router.Add(verb::get, "/v1/snapshots",
             Guarded(s, Permission::kRead, "snapshots.list", [&s](HttpRequest& req, const Caller&) {
               auto list = s.store.ListSnapshots(req.query_value("cluster"), req.query_value("name"));
               if (!list.ok()) return ErrorResponse(list.error());
               json out = json::array();
               for (const SnapshotRecord& r : *list) out.push_back(SnapshotRecordToJson(r));
               return JsonResponse(200, {{"snapshots", out}});
             }));
  router.Add(verb::get, "/v1/snapshots/{id}/tar",
             Guarded(s, Permission::kRestore, "snapshot.restore",
                     [&s](HttpRequest& req, const Caller& c) { return RestoreTar(req, c, s); }));
  router.Add(verb::get, "/v1/snapshots/{id}/manifest",
             Guarded(s, Permission::kRestore, "snapshot.restore",
                     [&s](HttpRequest& req, const Caller& c) {
                       auto record = s.store.Resolve(req.params["id"], req.query_value("cluster"),
                                                     req.query_value("name"));
                       if (!record.ok()) return ErrorResponse(record.error());
                       auto manifest = s.store.ReadManifest(*record);
                       if (!manifest.ok()) return ErrorResponse(manifest.error());
                       s.registry.Audit(c.actor(), "snapshot.restore", record->id, "ok",
                                        {{"cluster", record->cluster}, {"name", record->name}})
                           .IgnoreError();
                       HttpResponse r;
                       r.body = manifest->Serialize();
                       return r;
                     }));
  // Plaintext of one chunk, verified against its id by the appliance (the
  // admin side has no id key): for `cairnctl restore --appliance`.
  router.Add(verb::get, "/v1/chunks/{chunk}",
             Guarded(s, Permission::kRestore, "chunk.read", [&s](HttpRequest& req, const Caller&) {
               auto id = ChunkId::FromHex(req.params["chunk"]);
               if (!id) {
                 return ErrorResponse(Status::InvalidArgument("not a chunk id: " + req.params["chunk"]));
               }
               ChunkReader reader(s.store.store());
               auto plain = reader.Read(*id);
               if (!plain.ok()) return ErrorResponse(plain.error());
               HttpResponse r;
               r.content_type = "application/octet-stream";
               r.body.assign(plain->begin(), plain->end());
               return r;
             }));
  router.Add(verb::get, "/v1/audit",
             Guarded(s, Permission::kRead, "audit.read", [&s](HttpRequest& req, const Caller&) {
               std::int64_t after = 0;
               std::size_t limit = 100;
               try {
                 if (auto a = req.query_value("after")) after = std::stoll(*a);
                 if (auto l = req.query_value("limit")) limit = std::stoul(*l);
               } catch (const std::exception&) {
                 return ErrorResponse(Status::InvalidArgument("after and limit must be integers"));
               }
               limit = std::min(limit, Registry::kMaxAuditPage);
               auto entries = s.registry.ListAudit(after, limit);
               if (!entries.ok()) return ErrorResponse(entries.error());
               json out = json::array();
               for (const auto& e : *entries) {
                 out.push_back({{"seq", e.seq}, {"at_unix_ns", e.at_unix_ns}, {"actor", e.actor},
                                {"action", e.action}, {"target", e.target}, {"outcome", e.outcome},
                                {"detail", json::parse(e.detail_json, nullptr, false)}});
               }
               return JsonResponse(200, {{"entries", out}});
             }));
  router.Add(verb::get, "/v1/api-tokens",
             Guarded(s, Permission::kManageApiTokens, "api-tokens.list",
                     [&s](HttpRequest&, const Caller&) {
                       auto list = s.registry.ListApiTokens();
                       if (!list.ok()) return ErrorResponse(list.error());
                       json out = json::array();
                       for (const auto& t : *list) out.push_back(ApiTokenToJson(t));
                       return JsonResponse(200, {{"api_tokens", out}});
                     }));
  router.Add(verb::post, "/v1/api-tokens",
             Guarded(s, Permission::kManageApiTokens, "api-token.create",
                     [&s](HttpRequest& req, const Caller& c) {
                       const json body = json::parse(req.body, nullptr, false);
                       if (!body.is_object() || !body.contains("name") || !body["name"].is_string() ||
                           !body.contains("role") || !body["role"].is_string()) {
                         return ErrorResponse(Status::InvalidArgument(
                             "expected {\"name\": TEXT, \"role\": \"admin|operator|auditor\"}"));
                       }
                       auto role = ParseRole(body["role"].get<std::string>());
                       if (!role.ok()) return ErrorResponse(role.error());
                       auto created = s.registry.CreateApiToken(body["name"].get<std::string>(), *role);
                       s.registry.Audit(c.actor(), "api-token.create",
                                        created.ok() ? created->first.id : "",
                                        created.ok() ? "ok" : "failed",
                                        {{"name", body["name"]}, {"role", body["role"]}})
                           .IgnoreError();
                       if (!created.ok()) return ErrorResponse(created.error());
                       json j = ApiTokenToJson(created->first);
                       j["token"] = created->second;
                       return JsonResponse(201, j);
                     }));
  router.Add(verb::post, "/v1/api-tokens/{id}/revoke",
             Guarded(s, Permission::kManageApiTokens, "api-token.revoke",
                     [&s](HttpRequest& req, const Caller& c) {
                       Status st = s.registry.RevokeApiToken(req.params["id"]);
                       s.registry.Audit(c.actor(), "api-token.revoke", req.params["id"],
                                        st.ok() ? "ok" : "failed")
                           .IgnoreError();
                       if (!st.ok()) return ErrorResponse(st);
                       return JsonResponse(200, {{"revoked", req.params["id"]}});
                     }));
  // Replication peers: appliances that replicate into this one (replica_api.h).
  router.Add(verb::post, "/v1/peer-tokens",
             Guarded(s, Permission::kManagePeers, "peer-token.create",
                     [&s](HttpRequest& req, const Caller& c) {
                       return CreatePeerToken(req, s, c.actor());
                     }));
  router.Add(verb::get, "/v1/peers",
             Guarded(s, Permission::kRead, "peers.list",
                     [&s](HttpRequest&, const Caller&) { return ListPeers(s); }));
  router.Add(verb::post, "/v1/peers/{id}/revoke",
             Guarded(s, Permission::kManagePeers, "peer.revoke",
                     [&s](HttpRequest& req, const Caller& c) { return RevokePeer(req, s, c.actor()); }));
  router.Add(verb::get, "/v1/replicas/{peer}/object",
             Guarded(s, Permission::kReadReplicas, "replica.read",
                     [&s](HttpRequest& req, const Caller& c) {
                       return ReadReplicaObject(req, s, c.actor());
                     }));
  for (const auto& [kind, spec] : s.job_kinds) {
    router.Add(verb::post, "/v1/jobs/" + kind,
               Guarded(s, spec.permission, "job." + kind,
                       [&s, kind = kind](HttpRequest& req, const Caller& c) {
                         return StartJob(req, s, kind, c.actor());
                       }));
  }
  router.Add(verb::get, "/v1/retention",
             Guarded(s, Permission::kRead, "retention.list",
                     [&s](HttpRequest& req, const Caller&) { return ListRetention(req, s); }));
  router.Add(verb::put, "/v1/retention",
             Guarded(s, Permission::kWriteConfig, "retention.set",
                     [&s](HttpRequest& req, const Caller& c) {
                       return PutRetention(req, s, c.actor());
                     }));
  router.Add(verb::delete_, "/v1/retention",
             Guarded(s, Permission::kWriteConfig, "retention.remove",
                     [&s](HttpRequest& req, const Caller& c) {
                       return DeleteRetention(req, s, c.actor());
                     }));
  router.Add(verb::post, "/v1/retention/preview",
             Guarded(s, Permission::kRead, "retention.preview",
                     [&s](HttpRequest& req, const Caller&) { return PreviewRetention(req, s); }));
  router.Add(verb::delete_, "/v1/snapshots/{id}",
             Guarded(s, Permission::kWriteConfig, "snapshot.delete",
                     [&s](HttpRequest& req, const Caller& c) {
                       return DeleteSnapshotRoute(req, s, c.actor());
                     }));
  router.Add(verb::post, "/v1/snapshots/{id}/lock",
             Guarded(s, Permission::kWriteConfig, "snapshot.lock",
                     [&s](HttpRequest& req, const Caller& c) {
                       return LockSnapshotRoute(req, s, c.actor());
                     }));
  router.Add(verb::get, "/v1/jobs",
             Guarded(s, Permission::kRead, "jobs.list",
                     [&s](HttpRequest&, const Caller&) { return ListJobs(s); }));
  router.Add(verb::get, "/v1/jobs/{id}",
             Guarded(s, Permission::kRead, "job.show",
                     [&s](HttpRequest& req, const Caller&) { return ShowJob(req, s); }));
  router.Add(verb::get, "/v1/replicas/{peer}/keys",
             Guarded(s, Permission::kReadReplicas, "replica.list",
                     [&s](HttpRequest& req, const Caller&) { return ListReplicaKeys(req, s); }));
}

}  // namespace cairn
