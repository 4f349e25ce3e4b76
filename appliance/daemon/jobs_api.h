// Maintenance jobs over the admin API (docs/api.md, "Jobs"):
//
//   POST /v1/jobs/{kind}   start prune | gc | verify with {"options": {...}};
//                          202 {"id", ...}; 409 while another job runs;
//                          permission per kind (JobKind), audited
//   GET  /v1/jobs          recent jobs, newest first, with live progress, and
//                          the next scheduled runs ([maintenance])
//   GET  /v1/jobs/{id}     one job: state, progress, result or error
//
// Thread-safety: as every handler.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "appliance/daemon/services.h"
#include "appliance/server/http_types.h"

namespace cairn {

// Starts job `kind` with `options` for `actor` as POST /v1/jobs/{kind} does
// -- shared with the maintenance schedule, so both build, start and audit a
// job alike: the kind checks the options and builds the work
// (InvalidArgument), the runner starts it (AlreadyExists while another job
// runs), and the attempt is audited as "job.<kind>" either way. NotFound,
// not audited, for a kind the appliance does not have. Returns the job's id.
Result<std::string> StartAuditedJob(ApplianceServices& s, const std::string& kind,
                                    const nlohmann::json& options, const std::string& actor);

HttpResponse StartJob(HttpRequest& req, ApplianceServices& s, const std::string& kind,
                      const std::string& actor);
HttpResponse ListJobs(ApplianceServices& s);
HttpResponse ShowJob(HttpRequest& req, ApplianceServices& s);

}  // namespace cairn
