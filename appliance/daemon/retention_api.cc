#include "appliance/daemon/retention_api.h"

#include <algorithm>

#include "core/base/log.h"
#include "core/base/utc_time.h"
#include "core/protocol/snapshot_json.h"
#include "core/retention/prune.h"
#include "core/retention/retention_policies.h"
#include "core/retention/snapshot_deleter.h"

namespace cairn {
namespace {

using json = nlohmann::json;

json PolicyToJson(const StoredRetentionPolicy& p) {
  return {{"cluster", p.cluster},
          {"schedule", p.schedule},
          {"policy", p.policy.ToJson()},
          {"description", p.policy.Describe()},
          {"updated_unix_ns", p.updated_unix_ns},
          {"updated_by", p.updated_by}};
}

// {"cluster": "...", "schedule": "..."} from a body; schedule optional.
Result<std::pair<std::string, std::string>> ScopeOf(const json& body) {
  if (!body.is_object() || !body.contains("cluster") || !body["cluster"].is_string() ||
      (body.contains("schedule") && !body["schedule"].is_string())) {
    return Status::InvalidArgument(
        "expected {\"cluster\": \"name\", \"schedule\": \"name\" (optional), ...}");
  }
  return std::pair{body["cluster"].get<std::string>(), body.value("schedule", "")};
}

void AuditChange(ApplianceServices& s, const std::string& actor, const std::string& action,
                 const std::string& target, const Status& st, json detail) {
  if (!st.ok()) detail["error"] = st.message();
  const std::string outcome = st.ok() ? "ok" : (st.IsPermissionDenied() ? "denied" : "failed");
  s.registry.Audit(actor, action, target, outcome, detail).IgnoreError();
}

}  // namespace

HttpResponse ListRetention(HttpRequest& req, ApplianceServices& s) {
  std::vector<StoredRetentionPolicy> list;
  Status st = s.store.WithCatalog([&](Catalog& c) -> Status {
    CAIRN_ASSIGN_OR_RETURN(list, RetentionPolicies(c.db()).List(req.query_value("cluster")));
    return Status::Ok();
  });
  if (!st.ok()) return ErrorResponse(st);
  json out = json::array();
  for (const auto& p : list) out.push_back(PolicyToJson(p));
  return JsonResponse(200, {{"policies", out}});
}

HttpResponse PutRetention(HttpRequest& req, ApplianceServices& s, const std::string& actor) {
  const json body = json::parse(req.body, nullptr, false);
  auto scope = ScopeOf(body);
  if (!scope.ok()) return ErrorResponse(scope.error());
  if (!body.contains("policy")) {
    return ErrorResponse(Status::InvalidArgument("expected \"policy\": {\"keep_daily\": 7, ...}"));
  }
  StoredRetentionPolicy stored{scope->first, scope->second, {}, s.clock.NowUnixNanos(), actor};
  auto policy = RetentionPolicy::FromJson(body["policy"]);
  Status st = policy.status();
  if (st.ok()) {
    auto clusters = s.registry.ListClusters();
    st = clusters.status();
    if (st.ok() && std::find(clusters->begin(), clusters->end(), stored.cluster) == clusters->end()) {
      st = Status::NotFound("no cluster \"" + stored.cluster +
                            "\" (`cairnctl clusters` lists them; a cluster appears when its "
                            "first enrollment token is created)");
    }
  }
  if (st.ok()) {
    stored.policy = *policy;
    st = s.store.WithCatalog([&](Catalog& c) { return RetentionPolicies(c.db()).Set(stored); });
  }
  AuditChange(s, actor, "retention.set", stored.cluster + "/" + stored.schedule, st,
              {{"policy", body["policy"]}});
  if (!st.ok()) return ErrorResponse(st);
  Log(LogLevel::kInfo, "retention.set",
      {{"cluster", stored.cluster}, {"schedule", stored.schedule},
       {"policy", stored.policy.Describe()}});
  return JsonResponse(200, PolicyToJson(stored));
}

HttpResponse DeleteRetention(HttpRequest& req, ApplianceServices& s, const std::string& actor) {
  auto scope = ScopeOf(json::parse(req.body, nullptr, false));
  if (!scope.ok()) return ErrorResponse(scope.error());
  Status st = s.store.WithCatalog(
      [&](Catalog& c) { return RetentionPolicies(c.db()).Remove(scope->first, scope->second); });
  AuditChange(s, actor, "retention.remove", scope->first + "/" + scope->second, st, json::object());
  if (!st.ok()) return ErrorResponse(st);
  return JsonResponse(200, {{"removed", {{"cluster", scope->first}, {"schedule", scope->second}}}});
}

HttpResponse PreviewRetention(HttpRequest& req, ApplianceServices& s) {
  PruneOptions options;
  options.dry_run = true;
  if (!req.body.empty()) {
    const json body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || (body.contains("cluster") && !body["cluster"].is_string())) {
      return ErrorResponse(Status::InvalidArgument("expected {\"cluster\": \"name\"} or no body"));
    }
    if (body.contains("cluster")) options.cluster = body["cluster"].get<std::string>();
  }
  auto report =
      RunPrune(s.store.store(), s.store.CatalogAccess(), options, s.clock.NowUnixNanos());
  if (!report.ok()) return ErrorResponse(report.error());
  return JsonResponse(200, PruneReportToJson(*report));
}

HttpResponse DeleteSnapshotRoute(HttpRequest& req, ApplianceServices& s, const std::string& actor) {
  const std::string id = req.params["id"];
  auto snapshot = s.store.Resolve(id, std::nullopt, std::nullopt);
  Status st = snapshot.status();
  if (st.ok()) {
    st = DeleteSnapshot(s.store.store(), s.store.CatalogAccess(), *snapshot,
                        s.clock.NowUnixNanos());
  }
  AuditChange(s, actor, "snapshot.delete", id, st, json::object());
  if (!st.ok()) return ErrorResponse(st);
  return JsonResponse(200, {{"deleted", snapshot->id},
                            {"hint", "the chunks only it used are freed by the next gc job"}});
}

HttpResponse LockSnapshotRoute(HttpRequest& req, ApplianceServices& s, const std::string& actor) {
  const std::string id = req.params["id"];
  const json body = json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("until") || !body["until"].is_string()) {
    return ErrorResponse(Status::InvalidArgument(
        "expected {\"until\": \"YYYY-MM-DD\" or \"YYYY-MM-DDTHH:MM:SSZ\"}"));
  }
  auto until = ParseUtc(body["until"].get<std::string>());
  auto snapshot = s.store.Resolve(id, std::nullopt, std::nullopt);
  Result<std::int64_t> locked = until.ok() ? (snapshot.ok() ? Result<std::int64_t>(0)
                                                             : Result<std::int64_t>(snapshot.error()))
                                           : Result<std::int64_t>(until.error());
  if (locked.ok()) {
    locked = ExtendSnapshotLock(s.store.store(), s.store.CatalogAccess(), *snapshot, *until,
                                s.clock.NowUnixNanos());
  }
  AuditChange(s, actor, "snapshot.lock", id, locked.status(), {{"until", body["until"]}});
  if (!locked.ok()) return ErrorResponse(locked.error());
  if (s.replication) s.replication->NotifySnapshotCommitted();
  return JsonResponse(200, {{"id", snapshot->id},
                            {"lock_until_unix_ns", *locked},
                            {"locked_until", FormatUtc(*locked)}});
}

}  // namespace cairn
