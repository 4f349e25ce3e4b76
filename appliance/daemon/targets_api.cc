#include "appliance/daemon/targets_api.h"

#include "appliance/daemon/metrics.h"
#include "core/base/host_name.h"
#include "core/base/log.h"
#include "sync/engine/open_target.h"
#include "sync/peer/pairing.h"

namespace cairn {
namespace {

using json = nlohmann::json;

json NullableTime(std::int64_t unix_ns) { return unix_ns ? json(unix_ns) : json(nullptr); }

Status NoReplication() {
  return Status::Unavailable("replication is not running on this appliance");
}

}  // namespace

json TargetStatusToJson(const TargetStatus& s, std::int64_t now_unix_ns) {
  json spec = s.spec.ToJson();
  return {{"name", s.spec.name},
          {"kind", TargetKindName(s.spec.kind)},
          {"spec", spec},
          {"state", TargetStateName(s.state)},
          {"state_since_unix_ns", NullableTime(s.state_since_unix_ns)},
          {"activity", s.activity},
          {"last_error", s.last_error},
          {"last_probe_unix_ns", NullableTime(s.last_probe_unix_ns)},
          {"probe_latency_ms", s.probe_latency_ms},
          {"supports_locks", s.supports_locks},
          {"last_success_unix_ns", NullableTime(s.last_success_unix_ns)},
          {"queue_snapshots", s.queue_snapshots},
          {"queue_bytes", s.queue_bytes},
          {"throughput_bytes_per_s", s.throughput_bytes_per_s},
          {"bytes_sent_total", s.bytes_sent_total},
          {"chunks_sent_total", s.chunks_sent_total},
          {"snapshots_replicated_total", s.snapshots_replicated_total},
          {"upload_failures_total", s.upload_failures_total},
          {"rpo_seconds", s.rpo_seconds},
          {"rpo_budget_seconds", s.spec.policy.rpo_budget.count()},
          {"rpo_alert", s.rpo_alert},
          {"newest_replicated_age_seconds",
           s.newest_replicated_created_unix_ns
               ? json((now_unix_ns - *s.newest_replicated_created_unix_ns) / 1'000'000'000)
               : json(nullptr)}};
}

HttpResponse ListTargets(ApplianceServices& s) {
  if (!s.replication) return ErrorResponse(NoReplication());
  json out = json::array();
  const std::int64_t now = s.clock.NowUnixNanos();
  for (const TargetStatus& t : s.replication->Statuses()) out.push_back(TargetStatusToJson(t, now));
  return JsonResponse(200, {{"targets", out}});
}

HttpResponse GetTarget(HttpRequest& req, ApplianceServices& s) {
  if (!s.replication) return ErrorResponse(NoReplication());
  const std::string name = req.params["name"];
  auto status = s.replication->StatusOf(name);
  if (!status.ok()) return ErrorResponse(status.error());
  auto history = s.replication->History(name, 50);
  if (!history.ok()) return ErrorResponse(history.error());
  json j = TargetStatusToJson(*status, s.clock.NowUnixNanos());
  json events = json::array();
  for (const TargetEvent& e : *history) {
    events.push_back({{"at_unix_ns", e.at_unix_ns},
                      {"state", TargetStateName(e.state)},
                      {"detail", e.detail}});
  }
  j["history"] = events;
  return JsonResponse(200, j);
}

HttpResponse AddTarget(HttpRequest& req, ApplianceServices& s, const std::string& actor) {
  if (!s.replication) return ErrorResponse(NoReplication());
  const json body = json::parse(req.body, nullptr, false);
  if (!body.is_object() || !body.contains("spec") || !body["spec"].is_object() ||
      (body.contains("pair_token") && !body["pair_token"].is_string())) {
    return ErrorResponse(Status::InvalidArgument(
        "expected {\"spec\": {target spec, docs/api.md}, \"pair_token\": \"...\" (appliance "
        "targets only)}"));
  }
  json spec_json = body["spec"];
  // An appliance target's pairing credentials live in the appliance's own
  // state directory unless the operator says otherwise.
  if (spec_json.value("kind", "") == "appliance") {
    json& a = spec_json["appliance"];
    if (!a.is_object()) a = json::object();
    if (!a.contains("credentials_dir")) {
      a["credentials_dir"] =
          (s.config.state_dir / "peers" / spec_json.value("name", "")).lexically_normal().string();
    }
  }
  auto spec = TargetSpec::FromJson(spec_json);
  if (!spec.ok()) return ErrorResponse(spec.error());
  auto audit = [&](const std::string& outcome, const std::string& error) {
    json detail{{"kind", TargetKindName(spec->kind)}};
    if (!error.empty()) detail["error"] = error;
    s.registry.Audit(actor, "target.add", spec->name, outcome, detail).IgnoreError();
  };
  if (spec->kind == TargetKind::kAppliance) {
    const std::string token = body.value("pair_token", "");
    if (token.empty()) {
      return ErrorResponse(Status::InvalidArgument(
          "an appliance target needs a pairing token: create one on the remote appliance with "
          "`cairnctl peer token create --name <this site>` and pass it with --pair-token"));
    }
    if (Status paired = PairWithAppliance(spec->appliance.url, token, spec->appliance.credentials_dir,
                                          LocalHostName());
        !paired.ok()) {
      audit("failed", paired.message());
      return ErrorResponse(paired.WithContext("pair with " + spec->appliance.url));
    }
  }
  // Open it once (no network): a credentials file that cannot be read is
  // refused now, not found later by the worker.
  if (auto opened = OpenReplicaTarget(*spec); !opened.ok()) {
    audit("failed", opened.error().message());
    return ErrorResponse(opened.error());
  }
  Status added = s.replication->AddTarget(*spec);
  audit(added.ok() ? "ok" : "failed", added.ok() ? "" : added.message());
  if (!added.ok()) return ErrorResponse(added);
  Log(LogLevel::kInfo, "target.added",
      {{"target", spec->name}, {"kind", std::string(TargetKindName(spec->kind))}});
  auto status = s.replication->StatusOf(spec->name);
  if (!status.ok()) return ErrorResponse(status.error());
  return JsonResponse(201, TargetStatusToJson(*status, s.clock.NowUnixNanos()));
}

HttpResponse RemoveTarget(HttpRequest& req, ApplianceServices& s, const std::string& actor) {
  if (!s.replication) return ErrorResponse(NoReplication());
  const std::string name = req.params["name"];
  Status st = s.replication->RemoveTarget(name);
  s.registry.Audit(actor, "target.remove", name, st.ok() ? "ok" : "failed", {{"error", st.message()}})
      .IgnoreError();
  if (!st.ok()) return ErrorResponse(st);
  Log(LogLevel::kInfo, "target.removed", {{"target", name}});
  return JsonResponse(200, {{"removed", name}});
}

std::string RenderReplicationMetrics(ApplianceServices& s) {
  std::string out;
  if (!s.replication) return out;
  const std::vector<TargetStatus> all = s.replication->Statuses();
  struct Family {
    const char* name;
    const char* kind;
    const char* help;
    double (*value)(const TargetStatus&);
  };
  static constexpr Family kFamilies[] = {
      {"cairn_replication_target_up", "gauge", "1 when the target's last probe succeeded (up or degraded).",
       [](const TargetStatus& t) { return t.state == TargetState::kUp || t.state == TargetState::kDegraded ? 1.0 : 0.0; }},
      {"cairn_replication_target_degraded", "gauge", "1 when the target answers slowly or fails passes.",
       [](const TargetStatus& t) { return t.state == TargetState::kDegraded ? 1.0 : 0.0; }},
      {"cairn_replication_queue_snapshots", "gauge", "Local snapshots the target does not hold yet.",
       [](const TargetStatus& t) { return static_cast<double>(t.queue_snapshots); }},
      {"cairn_replication_queue_bytes", "gauge", "Sealed bytes still to send to the target (estimate).",
       [](const TargetStatus& t) { return static_cast<double>(t.queue_bytes); }},
      {"cairn_replication_bytes_sent_total", "counter", "Bytes acknowledged by the target since start.",
       [](const TargetStatus& t) { return static_cast<double>(t.bytes_sent_total); }},
      {"cairn_replication_snapshots_total", "counter", "Snapshots replicated to the target since start.",
       [](const TargetStatus& t) { return static_cast<double>(t.snapshots_replicated_total); }},
      {"cairn_replication_upload_failures_total", "counter", "Uploads to the target that failed.",
       [](const TargetStatus& t) { return static_cast<double>(t.upload_failures_total); }},
      {"cairn_replication_throughput_bytes_per_second", "gauge", "Throughput of the current or last pass.",
       [](const TargetStatus& t) { return t.throughput_bytes_per_s; }},
      {"cairn_replication_rpo_seconds", "gauge",
       "Age of the newest local snapshot the target does not hold (0: all replicated).",
       [](const TargetStatus& t) { return static_cast<double>(t.rpo_seconds); }},
      {"cairn_replication_rpo_budget_seconds", "gauge", "The target's RPO budget.",
       [](const TargetStatus& t) { return static_cast<double>(t.spec.policy.rpo_budget.count()); }},
      {"cairn_replication_rpo_alert", "gauge", "1 when the RPO is past the target's budget.",
       [](const TargetStatus& t) { return t.rpo_alert ? 1.0 : 0.0; }},
      {"cairn_replication_last_success_timestamp_seconds", "gauge",
       "When a pass last left nothing pending (Unix seconds; 0: never).",
       [](const TargetStatus& t) { return static_cast<double>(t.last_success_unix_ns / 1'000'000'000); }},
  };
  for (const Family& f : kFamilies) {
    for (const TargetStatus& t : all) {
      AppendMetric(out, f.name, f.kind, f.help, f.value(t),
                   "target=\"" + t.spec.name + "\",kind=\"" + std::string(TargetKindName(t.spec.kind)) + "\"");
    }
  }
  return out;
}

}  // namespace cairn
