// The receiving side of appliance-to-appliance replication (docs/protocol.md
// "Replication peers"; the sending side is sync/peer): another Cairn
// appliance, paired once, pushes its store's objects here over mTLS, and
// this appliance keeps them as they are (ReplicaStore), unable to read them.
//
// Ingest listener (AddReplicaIngestRoutes, called by AddIngestRoutes):
//   POST /v1/pair                    a pairing token + CSR -> a peer certificate
//   GET  /v1/replica/probe           peer: who am I, what do I hold
//   PUT  /v1/replica/object?key=K    peer: store one object (append-only)
//   GET  /v1/replica/object?key=K    peer: read one back
//   GET  /v1/replica/keys?prefix=&after=&limit=
//   DELETE /v1/replica/object        refused: replicas are append-only
// Every /v1/replica route needs a replication peer's certificate: one this
// appliance's CA issued at pairing, registered in replica_peers, and not
// revoked -- looked up on every request, so a revocation applies at once.
// An agent's certificate is refused here, and a peer's on agent routes.
//
// Admin listener (plain handlers, registered behind Guarded in admin_api.cc):
//   POST /v1/peer-tokens             manage-peers, audited
//   GET  /v1/peers                   read (with what each peer holds here)
//   POST /v1/peers/{id}/revoke       manage-peers, audited
//   GET  /v1/replicas/{peer}/object?key=K   read-replicas (recovery)
//   GET  /v1/replicas/{peer}/keys?...       read-replicas
//
// Thread-safety: handlers run concurrently on the worker pool; what they
// share (ReplicaStore, Registry, metrics) is thread-safe.
#pragma once

#include <string>

#include "appliance/daemon/services.h"
#include "appliance/server/router.h"

namespace cairn {

void AddReplicaIngestRoutes(Router& router, ApplianceServices& services);

// The replication peer behind a request, or the refusal to send.
Result<Registry::PeerRecord> AuthenticatePeer(const HttpRequest& request,
                                              ApplianceServices& services);

HttpResponse CreatePeerToken(HttpRequest& req, ApplianceServices& s, const std::string& actor);
HttpResponse ListPeers(ApplianceServices& s);
HttpResponse RevokePeer(HttpRequest& req, ApplianceServices& s, const std::string& actor);
HttpResponse ReadReplicaObject(HttpRequest& req, ApplianceServices& s, const std::string& actor);
HttpResponse ListReplicaKeys(HttpRequest& req, ApplianceServices& s);

// Prometheus lines for replicas received (appended to /metrics).
std::string RenderReplicaMetrics(ApplianceServices& s);

}  // namespace cairn
