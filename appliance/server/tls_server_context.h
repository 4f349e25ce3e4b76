// The TLS side of a listener: builds the ssl::context an HttpServer hands to
// each connection, from PEM text (server chain + key, optional client CA).
//
// Policy, fixed here so every listener gets it: TLS 1.2 minimum, no
// renegotiation, the client CA list is advertised in CertificateRequest so a
// client with several certificates picks the right one. A client certificate
// is checked against client_ca_pem only (never the system store).
// Thread-safety: MakeTlsServerContext is a pure function of its arguments;
// the resulting context is read-only once built and shared by connections.
#pragma once

#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/net/asio.h"

namespace cairn {

enum class ClientAuth {
  kNone,      // no client certificate is requested
  kOptional,  // requested; if sent it must verify, else the handshake fails
  kRequired,  // the handshake fails without a certificate that verifies
};

struct TlsServerConfig {
  std::string_view cert_chain_pem;  // leaf first, then intermediates
  std::string_view key_pem;         // the leaf's private key
  std::string_view client_ca_pem;   // one or more CA certificates; needed unless kNone
  ClientAuth client_auth = ClientAuth::kNone;
  // Scopes TLS session resumption to this listener (at most 32 bytes used).
  std::string_view session_id_context = "cairn";
};

// InvalidArgument naming what is wrong (unparsable PEM, a key that does not
// match the certificate, client_auth without a CA).
Result<ssl::context> MakeTlsServerContext(const TlsServerConfig& config);

}  // namespace cairn
