// FetchPeerCertificateChain: the first step of enrollment (kubeadm's
// discovery-token-ca-cert-hash model). A new agent knows the appliance's
// address and a hash of its CA, but not the CA itself; it connects once
// WITHOUT verifying anything, takes the certificate chain the server sends,
// and the caller then checks the chain's CA against the pinned hash before
// trusting it.
//
// WARNING: the returned certificates are whatever the peer chose to send; an
// attacker in the path can send anything. They must never be used to trust
// the server, or be stored as a trust anchor, until the caller has matched
// one of them against a hash obtained out of band. Nothing else in Cairn may
// call this.
//
// Thread-safety: a free function with its own io_context; safe to call from
// any thread.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/net/https_url.h"

namespace cairn {

// Connects (TCP + TLS handshake, no verification, no client certificate,
// each step bounded by `timeout`) and returns the server's certificate chain
// as sent, one PEM block per certificate, leaf first. No HTTP request is
// sent. Network failures are Unavailable naming host:port.
Result<std::vector<std::string>> FetchPeerCertificateChain(const HttpsEndpoint& endpoint,
                                                           std::chrono::milliseconds timeout);

}  // namespace cairn
