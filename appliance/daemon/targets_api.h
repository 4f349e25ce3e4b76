// Replication targets over the admin API (docs/api.md, "Replication
// targets"):
//
//   GET    /v1/targets               read: every target with its status
//   GET    /v1/targets/{name}        read: one target, status and history
//   POST   /v1/targets               write-config, audited: add a target
//                                    (pairs first when it is an appliance)
//   DELETE /v1/targets/{name}        write-config, audited
//
// Plain functions of (request, services, actor) -> response, registered
// behind Guarded in admin_api.cc.
// Thread-safety: as every handler (ReplicationService is thread-safe).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "appliance/daemon/services.h"
#include "appliance/server/http_types.h"
#include "sync/engine/replication_service.h"

namespace cairn {

nlohmann::json TargetStatusToJson(const TargetStatus& s, std::int64_t now_unix_ns);

HttpResponse ListTargets(ApplianceServices& s);
HttpResponse GetTarget(HttpRequest& req, ApplianceServices& s);
HttpResponse AddTarget(HttpRequest& req, ApplianceServices& s, const std::string& actor);
HttpResponse RemoveTarget(HttpRequest& req, ApplianceServices& s, const std::string& actor);

// Prometheus lines for every target (appended to /metrics).
std::string RenderReplicationMetrics(ApplianceServices& s);

}  // namespace cairn
