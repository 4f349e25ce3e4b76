// OpenApplianceReplicaReader: a read-only ReplicaTarget over the replica a
// peer pushed to another appliance, read through that appliance's admin API
// with an admin token (GET /v1/replicas/{peer}/object|keys, permission
// read-replicas) -- how a DR lead recovers site A's store from appliance B
// when A is gone (its pairing credentials with it). The objects are A's
// ciphertext; A's recovery kit opens them (sync/recovery).
//
// Put and Delete are refused locally (PermissionDenied, "read-only"); Probe
// reads one page of keys, proving the token and the peer id.
// Thread-safety: one object per thread (ReplicaTarget).
#pragma once

#include <memory>
#include <string>

#include "sync/target/replica_target.h"

namespace cairn {

// `admin_url` is B's admin listener (https://HOST:PORT), `ca_pem` B's CA
// certificate (its pki/ca.crt), `peer_id` the peer's id as `cairnctl peer
// list` on B shows it. Does not connect. InvalidArgument for a bad URL, CA,
// empty token or peer id.
Result<std::unique_ptr<ReplicaTarget>> OpenApplianceReplicaReader(const std::string& admin_url,
                                                                  const std::string& ca_pem,
                                                                  const std::string& admin_token,
                                                                  const std::string& peer_id);

}  // namespace cairn
