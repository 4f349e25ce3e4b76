// The ingest API (mTLS, agents only; docs/protocol.md): enrollment, the
// upload protocol, and an agent's reads of its own cluster's snapshots.
//
// Authentication: every route but /v1/healthz and /v1/enroll needs a client
// certificate that verified against the appliance CA during the handshake
// (the listener asks for one) AND belongs to a registered, non-revoked agent;
// the certificate's serial is looked up on every request, so a revocation
// applies at once, even on a kept-alive connection. The agent's cluster
// scopes everything it can see.
#pragma once

#include "appliance/daemon/services.h"
#include "appliance/server/router.h"

namespace cairn {

void AddIngestRoutes(Router& router, ApplianceServices& services);

// The agent behind a request, or the refusal to send.
Result<Registry::AgentRecord> AuthenticateAgent(const HttpRequest& request,
                                                ApplianceServices& services);

}  // namespace cairn
