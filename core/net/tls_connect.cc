#include "core/net/tls_connect.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <exception>
#include <optional>
#include <vector>

namespace cairn::net_internal {
namespace {

using boost::system::error_code;
using Clock = std::chrono::steady_clock;

std::string TimeoutText(std::chrono::milliseconds timeout) {
  return "timed out after " + std::to_string(timeout.count()) + " ms";
}

// A TLS alert from the server about certificates: it rejected our client
// certificate, or the lack of one. Retrying cannot help; the configuration
// must change.
bool IsCertificateAlert(const error_code& ec) {
  if (ec.category() != asio::error::get_ssl_category()) return false;
  if (ERR_GET_LIB(static_cast<unsigned long>(ec.value())) != ERR_LIB_SSL) return false;
  switch (ERR_GET_REASON(static_cast<unsigned long>(ec.value()))) {
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_NO_CERTIFICATE:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_TLSV1_ALERT_ACCESS_DENIED:
    case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
      return true;
    default:
      return false;
  }
}

// The handshake failed while verification was on; if the certificate check
// is why, say so (PermissionDenied) with what the user should look at.
std::optional<Status> VerificationFailure(SSL* ssl, const HttpsEndpoint& endpoint,
                                          std::string_view verify_name) {
  long result = SSL_get_verify_result(ssl);
  if (result == X509_V_OK) return std::nullopt;
  std::string reason = X509_verify_cert_error_string(result);
  std::string msg = "TLS handshake with " + FormatHostPort(endpoint) + ": ";
  switch (result) {
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      msg += "the server certificate is not valid for '" + std::string(verify_name) + "' (" +
             reason +
             "); connect using a host name or IP address listed in the appliance's certificate, "
             "or set the expected server name to one of them";
      break;
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
      msg += "the server certificate is outside its validity period (" + reason +
             "); check this machine's clock and the appliance's certificate dates";
      break;
    default:
      msg += "the server certificate is not trusted by the given CA (" + reason +
             "); check that the CA certificate configured here is the one that issued the "
             "appliance's server certificate, and that the URL points at the appliance";
      break;
  }
  return Status::PermissionDenied(std::move(msg));
}

// Set (through SSL ex_data) by OnClientCertificateRequested while a handshake
// runs: OpenSSL calls it only when the server asks for a client certificate
// and none is configured. TLS 1.2 servers then fail the handshake with a
// generic "handshake failure" alert; this flag lets us say what is wrong.
int ClientCertRequestedIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

int OnClientCertificateRequested(SSL* ssl, X509**, EVP_PKEY**) {
  if (auto* requested = static_cast<bool*>(SSL_get_ex_data(ssl, ClientCertRequestedIndex()))) {
    *requested = true;
  }
  return 0;  // no certificate to offer: continue without one
}

// Resolves a DNS name within `timeout`. See the header for why a lookup
// already running is waited out rather than abandoned.
Result<std::vector<tcp::endpoint>> Resolve(asio::io_context& io, const HttpsEndpoint& endpoint,
                                           std::chrono::milliseconds timeout) {
  tcp::resolver resolver(io);
  bool done = false;
  error_code result_ec;
  std::vector<tcp::endpoint> endpoints;
  resolver.async_resolve(endpoint.host, std::to_string(endpoint.port),
                         [&](const error_code& ec, tcp::resolver::results_type results) {
                           result_ec = ec;
                           for (const auto& entry : results) endpoints.push_back(entry.endpoint());
                           done = true;
                         });
  io.restart();
  const auto deadline = Clock::now() + timeout;
  while (!done && io.run_one_until(deadline) > 0) {
  }
  bool timed_out = false;
  if (!done) {
    timed_out = true;
    resolver.cancel();
    RunUntilDone(io, done);  // the handler refers to this frame: it must run first
  }
  if (timed_out) {
    return Status::Unavailable("resolve " + FormatHostPort(endpoint) + ": " + TimeoutText(timeout));
  }
  if (result_ec) return NetworkError("resolve", endpoint, result_ec, timeout);
  if (endpoints.empty()) {
    return Status::Unavailable("resolve " + FormatHostPort(endpoint) + ": no addresses");
  }
  return endpoints;
}

}  // namespace

void RunUntilDone(asio::io_context& io, const bool& done) {
  io.restart();
  while (!done) {
    // run_one() returns 0 only when no work is left, which cannot happen
    // while the operation that sets `done` is pending; the check keeps a
    // logic error from becoming a spin.
    if (io.run_one() == 0) break;
  }
  assert(done && "io_context ran out of work before the operation completed");
}

Result<std::unique_ptr<ssl::context>> NewTlsClientContext(bool verify_peer) {
  // ssl::context's constructor throws if SSL_CTX_new fails (allocation);
  // that must not escape as an exception.
  std::unique_ptr<ssl::context> ctx;
  try {
    ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  } catch (const std::exception& e) {
    return Status::IoError(std::string("create TLS context: ") + e.what());
  }
  SSL_CTX* native = ctx->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) {
    return Status::IoError("set minimum TLS version: " + DrainOpenSslErrors());
  }
  // No compression (CRIME), no renegotiation: nothing here needs them.
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_client_cert_cb(native, OnClientCertificateRequested);
  error_code ec;
  ctx->set_verify_mode(verify_peer ? ssl::verify_peer : ssl::verify_none, ec);
  if (ec) return Status::IoError("set TLS verify mode: " + ec.message());
  return ctx;
}

Result<std::unique_ptr<beast::tcp_stream>> ConnectTcp(asio::io_context& io,
                                                      const HttpsEndpoint& endpoint,
                                                      std::chrono::milliseconds timeout) {
  std::vector<tcp::endpoint> endpoints;
  {
    error_code ec;
    auto address = asio::ip::make_address(endpoint.host, ec);
    if (!ec) {
      endpoints.emplace_back(address, endpoint.port);
    } else {
      CAIRN_ASSIGN_OR_RETURN(endpoints, Resolve(io, endpoint, timeout));
    }
  }

  std::unique_ptr<beast::tcp_stream> stream;
  try {
    stream = std::make_unique<beast::tcp_stream>(io);
  } catch (const std::exception& e) {
    return Status::IoError(std::string("create TCP stream: ") + e.what());
  }
  bool done = false;
  error_code result;
  stream->expires_after(timeout);
  stream->async_connect(endpoints, [&](const error_code& ec, const tcp::endpoint&) {
    result = ec;
    done = true;
  });
  RunUntilDone(io, done);
  if (result) return NetworkError("connect to", endpoint, result, timeout);
  // Requests are small writes answered at once: without TCP_NODELAY, Nagle
  // plus the peer's delayed ACK add ~40 ms to many round trips.
  error_code ignored;
  stream->socket().set_option(tcp::no_delay(true), ignored);
  stream->expires_never();
  return stream;
}

Result<std::unique_ptr<TlsStream>> ConnectTls(asio::io_context& io, ssl::context& ctx,
                                              const HttpsEndpoint& endpoint,
                                              std::string_view verify_name,
                                              std::string_view sni_name,
                                              std::chrono::milliseconds timeout) {
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<beast::tcp_stream> tcp_stream,
                         ConnectTcp(io, endpoint, timeout));
  std::unique_ptr<TlsStream> stream;
  try {
    stream = std::make_unique<TlsStream>(std::move(*tcp_stream), ctx);  // throws if SSL_new fails
  } catch (const std::exception& e) {
    return Status::IoError(std::string("create TLS stream: ") + e.what());
  }

  SSL* ssl = stream->native_handle();
  if (!sni_name.empty() && !IsIpLiteral(sni_name)) {
    std::string name(sni_name);
    if (SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) {
      return Status::IoError("set TLS server name '" + name + "': " + DrainOpenSslErrors());
    }
  }
  if (!verify_name.empty()) {
    std::string name(verify_name);
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    int ok = 0;
    if (IsIpLiteral(name)) {
      ok = X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
    } else {
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      ok = X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
    }
    if (ok != 1) {
      return Status::InvalidArgument("expected server name '" + name +
                                     "' cannot be checked: " + DrainOpenSslErrors());
    }
  }

  {
    bool done = false;
    bool client_cert_requested = false;
    error_code result;
    if (SSL_set_ex_data(ssl, ClientCertRequestedIndex(), &client_cert_requested) != 1) {
      return Status::IoError("TLS handshake setup: " + DrainOpenSslErrors());
    }
    beast::get_lowest_layer(*stream).expires_after(timeout);
    stream->async_handshake(ssl::stream_base::client, [&](const error_code& ec) {
      result = ec;
      done = true;
    });
    RunUntilDone(io, done);
    SSL_set_ex_data(ssl, ClientCertRequestedIndex(), nullptr);  // the flag dies with this scope
    if (result) {
      if (!verify_name.empty()) {
        if (auto denied = VerificationFailure(ssl, endpoint, verify_name)) {
          ERR_clear_error();
          return *denied;
        }
      }
      if (client_cert_requested && result.category() == asio::error::get_ssl_category()) {
        ERR_clear_error();
        std::string msg = "TLS handshake with " + FormatHostPort(endpoint) +
                          ": the server requires a client certificate and none is configured (" +
                          result.message() +
                          "); enroll this machine or configure its client certificate and key";
        return Status::PermissionDenied(std::move(msg));
      }
      return NetworkError("TLS handshake with", endpoint, result, timeout);
    }
  }
  beast::get_lowest_layer(*stream).expires_never();
  return stream;
}

void ShutdownTls(asio::io_context& io, TlsStream& stream, std::chrono::milliseconds timeout) {
  bool done = false;
  beast::get_lowest_layer(stream).expires_after(timeout);
  stream.async_shutdown([&](const error_code&) { done = true; });
  RunUntilDone(io, done);
  error_code ignored;
  beast::get_lowest_layer(stream).socket().close(ignored);
  ERR_clear_error();
}

bool IsConnectionClosed(const error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::connection_aborted ||
         ec == ssl::error::stream_truncated || ec == http::error::end_of_stream;
}

Status NetworkError(std::string_view what, const HttpsEndpoint& endpoint, const error_code& ec,
                    std::chrono::milliseconds timeout) {
  std::string msg(what);
  msg += ' ';
  msg += FormatHostPort(endpoint);
  msg += ": ";
  if (IsCertificateAlert(ec)) {
    ERR_clear_error();
    msg += "the server refused this client's certificate (" + ec.message() +
           "); check that a client certificate and key are configured and were issued by the "
           "appliance's CA (re-enroll if it was revoked or has expired)";
    return Status::PermissionDenied(std::move(msg));
  }
  if (ec == beast::error::timeout) {
    msg += TimeoutText(timeout);
  } else {
    msg += ec.message();
  }
  if (ec.category() == asio::error::get_ssl_category()) ERR_clear_error();
  return Status::Unavailable(std::move(msg));
}

}  // namespace cairn::net_internal
