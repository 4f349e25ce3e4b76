// Internal helpers shared by core/crypto's .cc files: RAII handles for the
// OpenSSL EVP objects, and turning OpenSSL's error queue into a Status.
// Not for use outside core/crypto.
// Thread-safety: free functions; OpenSSL's error queue is per thread.
#pragma once

#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/base/bytes.h"
#include "core/base/c_deleter.h"
#include "core/base/status.h"

namespace cairn::crypto_internal {

using EvpCipherCtx = CHandle<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;
using EvpMac = CHandle<EVP_MAC, EVP_MAC_free>;
using EvpMacCtx = CHandle<EVP_MAC_CTX, EVP_MAC_CTX_free>;
using EvpKdf = CHandle<EVP_KDF, EVP_KDF_free>;
using EvpKdfCtx = CHandle<EVP_KDF_CTX, EVP_KDF_CTX_free>;
using EvpMdCtx = CHandle<EVP_MD_CTX, EVP_MD_CTX_free>;

// Drains this thread's OpenSSL error queue into one line of text.
std::string DrainOpenSslErrors();

// An error from an OpenSSL call that should not fail with valid inputs
// (allocation, a missing provider): IoError "what: <openssl errors>".
Status OpenSslError(std::string_view what);

// For the few places whose contract has no error channel (constructors of
// thread-confined helpers, hashing a chunk): an OpenSSL failure there means
// allocation failed or the library is broken, which we treat like operator
// new failing. Prints `what` and the OpenSSL errors to stderr and aborts.
[[noreturn]] void DieOnOpenSslFailure(std::string_view what);

// Derives `out.size()` bytes with HKDF-SHA256 (extract and expand).
// Returns an OpenSslError on failure.
Status HkdfSha256(ByteSpan key, ByteSpan salt, ByteSpan info, MutableByteSpan out);

// SHA-256 of `data` in one shot.
Status Sha256(ByteSpan data, std::span<std::uint8_t, 32> out);

}  // namespace cairn::crypto_internal
