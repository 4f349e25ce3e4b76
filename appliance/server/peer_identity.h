// Reading a PeerIdentity out of an X.509 certificate / a finished TLS
// handshake. The session calls PeerIdentityFromSsl once per connection, right
// after the handshake, on the I/O thread; both functions only read their
// argument and are safe to call from any thread.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "appliance/server/http_types.h"

namespace cairn {

// The identity the peer presented, if it verified: has_certificate is true
// only when the peer sent a certificate AND SSL_get_verify_result is
// X509_V_OK. (With ClientAuth::kNone the server never asks for one.)
PeerIdentity PeerIdentityFromSsl(const SSL* ssl);

// The fields of `cert` (has_certificate = true); no verification here.
// Missing CN/O are "". The serial is lowercase hex without leading zeros,
// with a leading '-' in the (invalid but parseable) negative case.
PeerIdentity PeerIdentityFromCertificate(const X509* cert);

}  // namespace cairn
