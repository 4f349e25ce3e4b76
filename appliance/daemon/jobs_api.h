// Maintenance jobs over the admin API (docs/api.md, "Jobs"):
//
//   POST /v1/jobs/{kind}   start prune | gc | verify with {"options": {...}};
//                          202 {"id", ...}; 409 while another job runs;
//                          permission per kind (JobKind), audited
//   GET  /v1/jobs          recent jobs, newest first, with live progress
//   GET  /v1/jobs/{id}     one job: state, progress, result or error
//
// Thread-safety: as every handler.
#pragma once

#include <string>

#include "appliance/daemon/services.h"
#include "appliance/server/http_types.h"

namespace cairn {

HttpResponse StartJob(HttpRequest& req, ApplianceServices& s, const std::string& kind,
                      const std::string& actor);
HttpResponse ListJobs(ApplianceServices& s);
HttpResponse ShowJob(HttpRequest& req, ApplianceServices& s);

}  // namespace cairn
