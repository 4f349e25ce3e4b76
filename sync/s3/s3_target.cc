#include "sync/s3/s3_target.h"

namespace cairn {

// Placeholder until the S3 client lands (same session, issue 5).
Result<std::unique_ptr<ReplicaTarget>> OpenS3Target(const S3TargetSettings&) {
  return Status::Unavailable("the S3 target is not built yet");
}

}  // namespace cairn
