// OpenReplicaTarget: a ReplicaTarget for a TargetSpec, whatever its kind.
// The engine opens one per stream (ReplicaTarget objects are per thread).
#pragma once

#include <memory>

#include "core/base/file_system.h"
#include "sync/target/replica_target.h"
#include "sync/target/target_spec.h"

namespace cairn {

Result<std::unique_ptr<ReplicaTarget>> OpenReplicaTarget(const TargetSpec& spec,
                                                         FileSystem& fs = DefaultFileSystem());

}  // namespace cairn
