// ApplianceTarget: a replica on another Cairn appliance, pushed over mTLS
// with the client certificate that pairing left in credentials_dir. The
// remote appliance stores the objects as they are (ciphertext) and cannot
// read them.
// Thread-safety: one object per thread (ReplicaTarget).
#pragma once

#include <memory>

#include "sync/target/replica_target.h"
#include "sync/target/target_spec.h"

namespace cairn {

// Loads the pairing credentials (client key, certificate, pinned CA);
// does not connect. InvalidArgument naming what is missing ("pair first").
Result<std::unique_ptr<ReplicaTarget>> OpenApplianceTarget(const ApplianceTargetSettings& settings);

}  // namespace cairn
