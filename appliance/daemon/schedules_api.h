// Backup schedules over the two APIs (docs/api.md, docs/protocol.md):
//
//   admin  GET    /v1/clusters/{cluster}/schedules          read
//          PUT    /v1/clusters/{cluster}/schedules/{name}   manage-schedules, audited
//          DELETE /v1/clusters/{cluster}/schedules/{name}   manage-schedules, audited
//   ingest GET    /v1/agent/schedules                       the calling agent's cluster only
//
// The handlers are plain functions of (request, services, caller) ->
// response; admin_api.cc and ingest_api.cc register them behind their own
// authentication (Guarded, AgentOnly), which runs before any of these.
// Thread-safety: as every handler (Registry serializes its own calls).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "appliance/daemon/services.h"
#include "appliance/server/http_types.h"

namespace cairn {

// {"cluster","name","cron","kind","options":{},"created_unix_ns","updated_unix_ns"}
nlohmann::json ScheduleRecordToJson(const Registry::ScheduleRecord& r);

HttpResponse ListClusterSchedules(HttpRequest& req, ApplianceServices& s);
// Body {"cron": "...", "kind": "...", "options": {...}}; 201 when created,
// 200 when replaced. `actor` is written to the audit log.
HttpResponse PutClusterSchedule(HttpRequest& req, ApplianceServices& s, const std::string& actor);
HttpResponse DeleteClusterSchedule(HttpRequest& req, ApplianceServices& s,
                                   const std::string& actor);

// What an agent runs: its own cluster's schedules, never another's.
HttpResponse AgentSchedules(ApplianceServices& s, const Registry::AgentRecord& agent);

}  // namespace cairn
