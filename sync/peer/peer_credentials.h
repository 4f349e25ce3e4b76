// PeerCredentials: what pairing leaves in a remote-appliance target's
// credentials directory (ApplianceTargetSettings::credentials_dir), and the
// one place that reads and writes it:
//
//   client.key   this appliance's private key (PKCS#8 PEM), mode 0600
//   client.crt   the client certificate the remote appliance issued
//                (O=cairn-replica-peer, CN=<peer id>)
//   ca.crt       the remote appliance's CA, pinned at pairing: the only
//                trust anchor for that target
//
// client.crt is written last, so its presence means "paired"; each file is
// written atomically and durably.
// Thread-safety: free functions; the directory is not locked (pairing runs
// once, before the target is used).
#pragma once

#include <filesystem>
#include <string>

#include "core/base/status.h"

namespace cairn {

struct PeerCredentials {
  std::string key_pem;
  std::string cert_pem;
  std::string ca_pem;
};

// NotFound, saying to pair first, when the directory holds no client.crt;
// InvalidArgument naming a missing or oversized file otherwise.
Result<PeerCredentials> LoadPeerCredentials(const std::filesystem::path& dir);

// Creates the directory (0700) and writes the three files. AlreadyExists
// when it already holds a pairing (client.crt): remove the directory to pair
// again.
Status SavePeerCredentials(const std::filesystem::path& dir, const PeerCredentials& credentials);

// Whether `dir` holds a pairing (client.crt exists).
Result<bool> HasPeerCredentials(const std::filesystem::path& dir);

}  // namespace cairn
