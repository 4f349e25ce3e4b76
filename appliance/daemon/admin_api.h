// The admin API (TLS + bearer API tokens; docs/api.md): status, clusters,
// agents, snapshots, enrollment tokens, API tokens, the audit log, restore
// downloads, and the unauthenticated /v1/healthz and /metrics.
//
// Every route names the Permission it needs (role table in
// appliance/registry/role.h); every change -- and every refused attempt at
// one -- is written to the audit log with the token that made it.
#pragma once

#include "appliance/daemon/services.h"
#include "appliance/server/router.h"

namespace cairn {

void AddAdminRoutes(Router& router, ApplianceServices& services);

// The Prometheus text of GET /metrics (exposed for tests).
std::string RenderMetrics(ApplianceServices& services);

}  // namespace cairn
