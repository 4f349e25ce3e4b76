#include "appliance/daemon/jobs_api.h"

#include "appliance/daemon/maintenance_scheduler.h"

namespace cairn {

using json = nlohmann::json;

Result<std::string> StartAuditedJob(ApplianceServices& s, const std::string& kind,
                                    const json& options, const std::string& actor) {
  auto it = s.job_kinds.find(kind);
  if (it == s.job_kinds.end() || s.jobs == nullptr) {
    return Status::NotFound("no job kind \"" + kind + "\"");
  }
  auto work = it->second.make(options, s);
  Result<std::string> id = work.ok() ? s.jobs->Start(kind, options, actor, std::move(*work))
                                     : Result<std::string>(work.error());
  json detail{{"options", options}};
  if (id.ok()) detail["job"] = *id;
  if (!id.ok()) detail["error"] = id.error().message();
  s.registry.Audit(actor, "job." + kind, kind, id.ok() ? "ok" : "failed", detail).IgnoreError();
  return id;
}

HttpResponse StartJob(HttpRequest& req, ApplianceServices& s, const std::string& kind,
                      const std::string& actor) {
  json options = json::object();
  if (!req.body.empty()) {
    const json body = json::parse(req.body, nullptr, false);
    if (!body.is_object() || (body.contains("options") && !body["options"].is_object())) {
      return ErrorResponse(Status::InvalidArgument(
          "expected {\"options\": {...}} (or an empty body for the defaults)"));
    }
    if (body.contains("options")) options = body["options"];
  }
  Result<std::string> id = StartAuditedJob(s, kind, options, actor);
  if (!id.ok()) return ErrorResponse(id.error());
  auto shown = s.jobs->Get(*id);
  return JsonResponse(202, shown ? *shown : json{{"id", *id}});
}

HttpResponse ListJobs(ApplianceServices& s) {
  return JsonResponse(200,
                      {{"jobs", s.jobs ? s.jobs->List() : json::array()},
                       {"scheduled", s.maintenance ? s.maintenance->Scheduled() : json::array()}});
}

HttpResponse ShowJob(HttpRequest& req, ApplianceServices& s) {
  const std::string id = req.params["id"];
  auto job = s.jobs ? s.jobs->Get(id) : std::nullopt;
  if (!job) {
    return ErrorResponse(Status::NotFound("no job \"" + id + "\" (the appliance keeps the last " +
                                          std::to_string(JobRunner::kMaxHistory) +
                                          " since it started; GET /v1/jobs lists them)"));
  }
  return JsonResponse(200, *job);
}

}  // namespace cairn
