// PairWithAppliance: makes this appliance a replication peer of another
// (the remote-appliance target), once, like an agent's enrollment: the
// pairing token pins the remote CA; we send a CSR and keep the certificate.
#pragma once

#include <filesystem>
#include <string>

#include "core/base/status.h"

namespace cairn {

// Writes client.key (0600), client.crt and ca.crt into credentials_dir.
// PermissionDenied for a refused token or a pin mismatch, Unavailable when
// the appliance cannot be reached; each message says what to do.
Status PairWithAppliance(const std::string& url, const std::string& pair_token,
                         const std::filesystem::path& credentials_dir, const std::string& our_name);

}  // namespace cairn
