// S3Target: a replica in an S3 bucket (under an optional prefix), through
// the S3 REST API signed with SigV4 (sync/s3/sigv4.h).
// Thread-safety: one object per thread (ReplicaTarget).
#pragma once

#include <memory>

#include "sync/target/replica_target.h"
#include "sync/target/target_spec.h"

namespace cairn {

// Reads the credentials file (TOML: access_key, secret_key) and prepares a
// client; does not connect (Probe does). InvalidArgument for a missing or
// malformed credentials file, naming it and the expected format.
Result<std::unique_ptr<ReplicaTarget>> OpenS3Target(const S3TargetSettings& settings);

}  // namespace cairn
