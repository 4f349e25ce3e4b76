// PairWithAppliance: makes this appliance a replication peer of another
// (the remote-appliance target), once, like an agent's enrollment: the
// pairing token pins the remote CA; we send a CSR and keep the certificate.
//
//  1. parse the token (cairn-pair.v1.<id>.<secret>.<ca-sha256>);
//  2. connect once without trusting anything and accept the remote's chain
//     only if it holds the pinned CA and the server certificate chains to it
//     (core/pki/pinned_ca.h, the agent's enrollment check);
//  3. from then on trust only that CA: a new EC P-256 key, a CSR, POST
//     /v1/pair with the token over a verified connection;
//  4. keep key, certificate and CA in credentials_dir (peer_credentials.h).
// Blocking (each network step bounded by 30 s); call from any thread.
#pragma once

#include <filesystem>
#include <string>

#include "core/base/status.h"

namespace cairn {

// Writes client.key (0600), client.crt and ca.crt into credentials_dir.
// PermissionDenied for a refused token (used, expired, of another
// appliance, wrong secret) or a pin mismatch, Unavailable when the appliance
// cannot be reached, InvalidArgument for a malformed token or URL,
// AlreadyExists when credentials_dir already holds a pairing (checked before
// anything is sent); each message says what to do. `our_name` is how this
// appliance introduces itself (its host name), shown in `cairnctl peer list`
// on the other side.
Status PairWithAppliance(const std::string& url, const std::string& pair_token,
                         const std::filesystem::path& credentials_dir, const std::string& our_name);

}  // namespace cairn
