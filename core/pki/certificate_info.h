// Reading certificates someone hands us -- an agent's client certificate, a
// CA file, a chain an operator uploads: what they say (ParseCertificatePem),
// how a chain file splits, their SHA-256 fingerprint, and whether one chains
// to a given CA.
//
// Every input is bounded before OpenSSL sees it: one certificate's PEM at
// most 64 KiB, a chain at most 256 KiB and 16 certificates.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace cairn::pki {

inline constexpr std::size_t kMaxChainPemBytes = 256 * 1024;
inline constexpr std::size_t kMaxChainCertificates = 16;

struct CertificateInfo {
  std::string common_name;         // subject CN; empty when absent
  std::string organization;        // subject O; empty when absent
  std::string serial_hex;          // lowercase, no leading zeros; as IssuedCertificate has it
  std::string sha256_hex;          // SHA-256 of the DER, lowercase
  std::string issuer_common_name;  // issuer CN; empty when absent
  std::int64_t not_before_unix = 0;
  std::int64_t not_after_unix = 0;
  bool is_ca = false;  // basicConstraints says CA:TRUE
};

// The first certificate in `pem` (text before it is skipped). InvalidArgument
// when `pem` is over 64 KiB or holds no readable certificate.
Result<CertificateInfo> ParseCertificatePem(std::string_view pem);

// Each certificate of a PEM chain, in order, re-encoded as one PEM block
// each. Text between blocks is skipped; any PEM block other than CERTIFICATE
// (a private key pasted into a chain file, say) is refused, as are an input
// without certificates and one over the bounds above.
Result<std::vector<std::string>> SplitPemCertificates(std::string_view pem_chain);

// SHA-256 of the DER of the first certificate in `cert_pem`, lowercase hex.
Result<std::string> CertificateSha256Hex(std::string_view cert_pem);

// Verifies that the first certificate in `leaf_pem` chains to a certificate
// in `ca_pem` (every certificate there is a trust anchor) and is valid now.
// PermissionDenied carrying OpenSSL's verify reason ("certificate has
// expired") when it does not; InvalidArgument when either does not parse.
Status VerifyCertificateAgainstCa(std::string_view leaf_pem, std::string_view ca_pem);

}  // namespace cairn::pki
