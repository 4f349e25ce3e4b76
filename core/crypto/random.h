// FillRandom: the one source of randomness for keys, salts and nonces
// (OpenSSL's DRBG, seeded from the kernel).
// Thread-safety: safe from any thread.
#pragma once

#include "core/base/bytes.h"
#include "core/base/status.h"

namespace cairn {

// Fills `out` with cryptographically secure random bytes. Fails (IoError)
// only if the DRBG cannot be seeded; callers must not fall back to anything.
[[nodiscard]] Status FillRandom(MutableByteSpan out);

}  // namespace cairn
