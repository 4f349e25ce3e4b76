// Internal: the steps every certificate the appliance issues shares -- a
// random serial, a validity window that tolerates clock skew, subject names
// from checked strings, X.509 v3 extensions, the signature. Used by
// certificate_authority.cc; not for use outside appliance/pki.
//
// Input checks here return InvalidArgument with a message meant for the
// operator or agent that supplied the value (a CN, a SAN, a validity).
//
// Thread-safety: free functions over caller-owned objects.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/pki/x509_util.h"
#include "core/base/status.h"

namespace cairn::pki::internal {

// RFC 5280's upper bound for commonName and organizationName is 64
// characters; we count bytes, which is stricter for non-ASCII and simpler to
// explain.
inline constexpr std::size_t kMaxNameFieldBytes = 64;
// notBefore is set this far in the past so a peer whose clock is slightly
// behind ours still accepts a certificate issued a moment ago.
inline constexpr std::chrono::seconds kClockSkewAllowance = std::chrono::minutes(5);
// Longest validity we sign: past this, a typo (seconds for days) is likelier
// than intent.
inline constexpr std::chrono::seconds kMaxValidity = std::chrono::hours(24 * 366 * 30);
// Bound on the SANs in one server certificate.
inline constexpr std::size_t kMaxSubjectAltNames = 100;

// Checks a subject field value: non-empty, at most kMaxNameFieldBytes, no
// control characters. `field` names it in the message ("common name").
Status ValidateNameField(std::string_view value, std::string_view field);

// A subject or issuer name CN=common_name[, O=organization]; an empty
// organization is left out. Both are validated.
Result<X509NamePtr> MakeName(std::string_view common_name, std::string_view organization);

// A certificate v3 with a fresh random positive serial of up to 128 bits,
// notBefore = now - kClockSkewAllowance, notAfter = now + validity, the given
// subject, issuer name and public key. Extensions and signature come next.
Result<X509Ptr> NewCertificate(const X509_NAME* subject, const X509_NAME* issuer,
                               EVP_PKEY* subject_key, std::chrono::seconds validity);

// Adds one extension written in OpenSSL's configuration syntax
// ("critical,CA:FALSE"). `value` must be a constant from our code: the
// syntax has its own escaping, so user input never goes through here.
// `issuer` supplies the authority key id; for a self-signed certificate pass
// the certificate itself.
Status AddExtension(X509* cert, X509* issuer, int nid, const char* value);

// Adds subjectAltName with the DNS names and IP addresses (v4 or v6 text).
// Built from GENERAL_NAME objects, not config text, so a name cannot smuggle
// in another entry. Refuses invalid names, invalid addresses and an empty or
// oversized list.
Status AddSubjectAltNames(X509* cert, const std::vector<std::string>& dns_names,
                          const std::vector<std::string>& ip_addresses);

// Signs with SHA-256, or with the key's built-in hash for Ed25519/Ed448.
Status SignCertificate(X509* cert, EVP_PKEY* issuer_key);

}  // namespace cairn::pki::internal
