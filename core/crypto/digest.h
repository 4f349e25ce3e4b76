// Sha256Hex: the SHA-256 of some bytes as 64 lowercase hex digits, for
// callers outside core/crypto that need a content fingerprint (e.g. whether
// a replica already has this store config). Keyed ids are ChunkHasher's job.
// Thread-safety: pure function.
#pragma once

#include <string>

#include "core/base/bytes.h"
#include "core/base/status.h"

namespace cairn {

Result<std::string> Sha256Hex(ByteSpan data);

}  // namespace cairn
