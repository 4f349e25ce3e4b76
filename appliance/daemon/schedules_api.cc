#include "appliance/daemon/schedules_api.h"

#include "core/base/log.h"

namespace cairn {
namespace {

using json = nlohmann::json;

json ListToJson(const std::vector<Registry::ScheduleRecord>& list) {
  json out = json::array();
  for (const auto& r : list) out.push_back(ScheduleRecordToJson(r));
  return out;
}

}  // namespace

json ScheduleRecordToJson(const Registry::ScheduleRecord& r) {
  json options = json::parse(r.options_json, nullptr, false);
  if (!options.is_object()) options = json::object();  // the schema's CHECK makes this moot
  return {{"cluster", r.cluster},
          {"name", r.name},
          {"cron", r.cron},
          {"kind", r.kind},
          {"options", options},
          {"created_unix_ns", r.created_unix_ns},
          {"updated_unix_ns", r.updated_unix_ns}};
}

HttpResponse ListClusterSchedules(HttpRequest& req, ApplianceServices& s) {
  auto list = s.registry.ListSchedules(req.params["cluster"]);
  if (!list.ok()) return ErrorResponse(list.error());
  return JsonResponse(200, {{"cluster", req.params["cluster"]}, {"schedules", ListToJson(*list)}});
}

HttpResponse PutClusterSchedule(HttpRequest& req, ApplianceServices& s, const std::string& actor) {
  const std::string cluster = req.params["cluster"];
  const std::string name = req.params["name"];
  const json body = json::parse(req.body, nullptr, false);
  const bool shape = body.is_object() && body.contains("cron") && body["cron"].is_string() &&
                     body.contains("kind") && body["kind"].is_string() &&
                     (!body.contains("options") || body["options"].is_object());
  if (!shape) {
    return ErrorResponse(Status::InvalidArgument(
        "expected {\"cron\": \"0 * * * *\", \"kind\": \"resources|volumes|directory\", "
        "\"options\": {...}} (options optional)"));
  }
  const json options = body.contains("options") ? body["options"] : json::object();
  auto put = s.registry.PutSchedule(cluster, name, body["cron"].get<std::string>(),
                                    body["kind"].get<std::string>(), options);
  json detail{{"cluster", cluster}, {"cron", body["cron"]}, {"kind", body["kind"]},
              {"options", options}};
  if (!put.ok()) detail["error"] = put.error().message();
  s.registry.Audit(actor, "schedule.set", cluster + "/" + name, put.ok() ? "ok" : "failed", detail)
      .IgnoreError();
  if (!put.ok()) return ErrorResponse(put.error());
  Log(LogLevel::kInfo, "schedule.set",
      {{"cluster", cluster}, {"name", name}, {"cron", put->first.cron}, {"kind", put->first.kind},
       {"created", put->second}});
  return JsonResponse(put->second ? 201 : 200, ScheduleRecordToJson(put->first));
}

HttpResponse DeleteClusterSchedule(HttpRequest& req, ApplianceServices& s,
                                   const std::string& actor) {
  const std::string cluster = req.params["cluster"];
  const std::string name = req.params["name"];
  Status st = s.registry.DeleteSchedule(cluster, name);
  s.registry.Audit(actor, "schedule.remove", cluster + "/" + name, st.ok() ? "ok" : "failed",
                   {{"error", st.message()}})
      .IgnoreError();
  if (!st.ok()) return ErrorResponse(st);
  Log(LogLevel::kInfo, "schedule.removed", {{"cluster", cluster}, {"name", name}});
  return JsonResponse(200, {{"removed", name}, {"cluster", cluster}});
}

HttpResponse AgentSchedules(ApplianceServices& s, const Registry::AgentRecord& agent) {
  auto list = s.registry.ListSchedules(agent.cluster);
  if (!list.ok()) return ErrorResponse(list.error());
  return JsonResponse(200, {{"cluster", agent.cluster}, {"schedules", ListToJson(*list)}});
}

}  // namespace cairn
