// Certificate signing requests for agent enrollment, both ends: the agent
// makes a key and a CSR (GenerateKeyAndCsr); the appliance reads and checks
// an uploaded CSR before its CA signs it (internal::ReadClientCsrKey, called
// by CertificateAuthority::SignClientCsr).
//
// The only thing taken from a CSR is its public key, and only after the
// CSR's self-signature proves the sender holds the private key. Its subject
// and requested extensions are never read: the appliance names the agent.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "core/pki/x509_util.h"
#include "core/base/status.h"

namespace cairn::pki {

struct KeyAndCsr {
  std::string key_pem;  // unencrypted PKCS#8 PEM; the agent stores it owner-only
  std::string csr_pem;
};

// A new EC P-256 key and a CSR for it with subject CN=common_name, signed
// with SHA-256. The CN is a hint for the operator; the appliance decides the
// name it certifies. InvalidArgument for an empty, overlong or control-
// character name.
Result<KeyAndCsr> GenerateKeyAndCsr(std::string_view common_name);

// The checks SignClientCsr makes of a CSR, without signing: lets the
// enrollment endpoint refuse a bad CSR before it spends the one-time token.
Status CheckClientCsr(std::string_view csr_pem);

namespace internal {

// The public key of an agent's CSR, once the CSR has passed every check:
// at most kMaxCsrPemBytes of PEM, parses as a CERTIFICATE REQUEST, its
// self-signature verifies, and its key is EC P-256 or Ed25519 (the keys the
// agent's TLS stack and ours both handle at a strength we accept).
// InvalidArgument naming the failed check and what to do otherwise.
Result<EvpPkeyPtr> ReadClientCsrKey(std::string_view csr_pem);

}  // namespace internal
}  // namespace cairn::pki
