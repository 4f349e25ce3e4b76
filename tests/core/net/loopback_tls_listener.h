// The TLS server half the test servers of core/net share (TlsTestServer,
// WebSocketTestServer): loading a server certificate and, optionally, a CA
// that client certificates must chain to; and a listening acceptor on
// 127.0.0.1 with a kernel-chosen port. Header-only. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "core/base/status.h"
#include "core/net/asio.h"

namespace cairn::test {

// A non-empty `client_ca_pem` makes a client certificate mandatory.
inline Status LoadServerTls(ssl::context& ctx, const std::string& cert_chain_pem,
                            const std::string& key_pem, const std::string& client_ca_pem) {
  boost::system::error_code ec;
  ctx.use_certificate_chain(asio::buffer(cert_chain_pem.data(), cert_chain_pem.size()), ec);
  if (ec) return Status::IoError("test server certificate: " + ec.message());
  ctx.use_private_key(asio::buffer(key_pem.data(), key_pem.size()), ssl::context::pem, ec);
  if (ec) return Status::IoError("test server key: " + ec.message());
  if (!client_ca_pem.empty()) {
    ctx.add_certificate_authority(asio::buffer(client_ca_pem.data(), client_ca_pem.size()), ec);
    if (ec) return Status::IoError("test server client CA: " + ec.message());
    ctx.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
    if (ec) return Status::IoError("test server verify mode: " + ec.message());
  }
  return Status::Ok();
}

// Opens, binds and listens on 127.0.0.1:0; the port the kernel chose.
inline Result<std::uint16_t> ListenOnLoopback(asio::ip::tcp::acceptor& acceptor) {
  boost::system::error_code ec;
  asio::ip::tcp::endpoint where(asio::ip::make_address("127.0.0.1"), 0);
  acceptor.open(where.protocol(), ec);
  if (!ec) acceptor.bind(where, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::IoError("test server listen: " + ec.message());
  std::uint16_t port = acceptor.local_endpoint(ec).port();
  if (ec) return Status::IoError("test server port: " + ec.message());
  return port;
}

}  // namespace cairn::test
