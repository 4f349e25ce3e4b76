#include "sync/peer/appliance_target.h"

namespace cairn {

// Placeholder until the peer target lands (same session, issue 5).
Result<std::unique_ptr<ReplicaTarget>> OpenApplianceTarget(const ApplianceTargetSettings&) {
  return Status::Unavailable("the appliance target is not built yet");
}

}  // namespace cairn
