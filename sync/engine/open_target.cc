#include "sync/engine/open_target.h"

#include "sync/peer/appliance_target.h"
#include "sync/s3/s3_target.h"
#include "sync/target/directory_target.h"

namespace cairn {

Result<std::unique_ptr<ReplicaTarget>> OpenReplicaTarget(const TargetSpec& spec, FileSystem& fs) {
  switch (spec.kind) {
    case TargetKind::kS3:
      return OpenS3Target(spec.s3);
    case TargetKind::kAppliance:
      return OpenApplianceTarget(spec.appliance);
    case TargetKind::kDirectory:
      return std::unique_ptr<ReplicaTarget>(std::make_unique<DirectoryTarget>(fs, spec.directory.dir));
  }
  return Status::InvalidArgument("unknown target kind");
}

}  // namespace cairn
