// SelectPinnedCa: the check at the heart of a pinned first connection
// (kubeadm's discovery-hash model), shared by agent enrollment
// (agent/enrollment.cc) and replication pairing (sync/peer/pairing.cc).
//
// A client that holds only a token knows the appliance's address and the
// SHA-256 of its CA, not the CA itself. It takes the certificate chain the
// server presents on an unverified connection (core/net/peer_chain.h) and
// hands it here: the chain is accepted only if one of its certificates has
// exactly the pinned SHA-256 AND the server's leaf certificate verifies
// against it. From then on the client trusts only that CA.
//
// Thread-safety: a pure function.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace cairn::pki {

// The PEM of the certificate in `chain` (leaf first, as sent) whose SHA-256
// is `pin_sha256_hex` (64 lowercase hex digits), once the leaf verified
// against it. PermissionDenied, naming `url` and the fingerprints it saw and
// saying what to check, when no certificate matches or the leaf was not
// issued by the matching one; InvalidArgument when a certificate does not
// parse.
Result<std::string> SelectPinnedCa(const std::vector<std::string>& chain,
                                   std::string_view pin_sha256_hex, std::string_view url);

}  // namespace cairn::pki
