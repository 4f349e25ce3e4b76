// Internal helpers shared by appliance/pki's .cc files: RAII handles for the
// OpenSSL X.509 objects, bounded PEM reading and writing, and turning
// OpenSSL's error queue into a Status. Not for use outside appliance/pki.
//
// core/crypto has similar error helpers (openssl_util.h), but they are
// internal to core/crypto and cairn_pki does not link it; the dozen lines are
// repeated here rather than widening that library's surface.
//
// Thread-safety: free functions over caller-owned objects; OpenSSL's error
// queue is per thread, so each call drains only its own thread's errors.
#pragma once

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/c_deleter.h"
#include "core/base/status.h"

namespace cairn::pki::internal {

using X509Ptr = CHandle<X509, X509_free>;
using X509ReqPtr = CHandle<X509_REQ, X509_REQ_free>;
using X509NamePtr = CHandle<X509_NAME, X509_NAME_free>;
using X509ExtensionPtr = CHandle<X509_EXTENSION, X509_EXTENSION_free>;
using X509StorePtr = CHandle<X509_STORE, X509_STORE_free>;
using X509StoreCtxPtr = CHandle<X509_STORE_CTX, X509_STORE_CTX_free>;
using GeneralNamesPtr = CHandle<GENERAL_NAMES, GENERAL_NAMES_free>;
using GeneralNamePtr = CHandle<GENERAL_NAME, GENERAL_NAME_free>;
using Asn1StringPtr = CHandle<ASN1_STRING, ASN1_STRING_free>;
using Asn1IntegerPtr = CHandle<ASN1_INTEGER, ASN1_INTEGER_free>;
using EvpPkeyPtr = CHandle<EVP_PKEY, EVP_PKEY_free>;
using BioPtr = CHandle<BIO, BIO_free>;
using BignumPtr = CHandle<BIGNUM, BN_free>;

// Input bounds. A certificate of ours is under 1 KiB; these leave room for
// certificates from other CAs while keeping a hostile upload cheap to refuse.
inline constexpr std::size_t kMaxCertificatePemBytes = 64 * 1024;
inline constexpr std::size_t kMaxCsrPemBytes = 16 * 1024;
inline constexpr std::size_t kMaxPrivateKeyPemBytes = 64 * 1024;

// The first OpenSSL error reason on this thread ("no start line"), for user
// messages; clears the queue so it cannot leak into a later call's report.
std::string TakeOpenSslReason();

// An OpenSSL call that should not fail with valid inputs (allocation, a
// missing provider): IoError "what: <all queued OpenSSL errors>".
Status OpenSslError(std::string_view what);

// PEM password callback that always refuses: with none, OpenSSL prompts on
// the controlling terminal when a PEM block says it is encrypted, which a
// daemon reading uploaded PEM must never do.
int RefusePassphrase(char* buf, int size, int rwflag, void* user_data);

// A read-only BIO over `data`; `data` must outlive it. Callers bound the
// size first, so the int conversion OpenSSL wants cannot overflow.
Result<BioPtr> ReadOnlyBio(std::string_view data);

// The first certificate in `pem`. `what` names the input in messages
// ("the CA certificate"). Refuses input over kMaxCertificatePemBytes.
Result<X509Ptr> ReadFirstCertificate(std::string_view pem, std::string_view what);

// An unencrypted PEM private key (PKCS#8 or traditional); an encrypted key is
// refused rather than prompting on a terminal for its passphrase.
Result<EvpPkeyPtr> ReadPrivateKey(std::string_view pem, std::string_view what);

Result<std::string> CertificateToPem(const X509* cert);
Result<std::string> CsrToPem(const X509_REQ* req);
// Unencrypted PKCS#8 ("BEGIN PRIVATE KEY").
Result<std::string> PrivateKeyToPem(const EVP_PKEY* key);

// A fresh EC key on P-256 (prime256v1).
Result<EvpPkeyPtr> GenerateP256Key();

// The facts about a certificate that IssuedCertificate and CertificateInfo
// both report; one implementation so the two always agree.
// SHA-256 of the DER encoding, 64 lowercase hex digits.
Result<std::string> CertificateSha256(const X509* cert);
// Serial number as lowercase hex without leading zeros ("0" for zero).
Result<std::string> SerialHex(const X509* cert);
// Seconds since the Unix epoch (UTC).
Result<std::int64_t> UnixSeconds(const ASN1_TIME* time);

// Lowercase hex of `size` bytes.
std::string LowerHex(const unsigned char* data, std::size_t size);

}  // namespace cairn::pki::internal
