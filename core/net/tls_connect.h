// Internal to core/net (not for callers outside this folder): the pieces the
// blocking HTTPS client and FetchPeerCertificateChain share -- driving a
// private io_context until one async operation completes, making a TLS client
// context, opening a verified (or, for enrollment only, unverified) TLS
// connection within a deadline, and turning Asio/Beast/OpenSSL error codes
// into a Status that says what failed against which host:port.
//
// Why async operations driven by run_one() rather than Beast's synchronous
// calls: beast::tcp_stream only enforces expires_after() on its async
// operations, and a blocking client whose timeout does not fire is worse than
// none. Every operation here therefore starts an async op with a deadline on
// the tcp_stream and runs the io_context until its handler has run.
//
// Thread-safety: an io_context passed here must be run by the calling thread
// only (each client object owns one and is used by one thread at a time).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/crypto/openssl_util.h"
#include "core/net/asio.h"
#include "core/net/https_url.h"

namespace cairn::net_internal {

using TlsStream = ssl::stream<beast::tcp_stream>;

// Runs `io` on this thread until `done` becomes true. The operation that sets
// `done` must carry its own deadline (tcp_stream::expires_after).
void RunUntilDone(asio::io_context& io, const bool& done);

// This thread's OpenSSL error queue as one line of text, emptying it.
using crypto_internal::DrainOpenSslErrors;

// A TLS client context: TLS 1.2 minimum (1.3 preferred by OpenSSL's default
// ordering), verify_peer when `verify_peer`, no trust anchors loaded yet.
Result<std::unique_ptr<ssl::context>> NewTlsClientContext(bool verify_peer);

// Loads every PEM certificate of `pem` as a trust anchor (the system store is
// never used); InvalidArgument when there is none. Defined in https_client.cc.
Status LoadTrustAnchors(ssl::context& ctx, std::string_view pem);
// Both or neither; InvalidArgument when unparsable or the key does not match.
Status LoadClientCertificate(ssl::context& ctx, std::string_view cert_pem,
                             std::string_view key_pem);

// Resolves `endpoint` (IP literals skip the resolver) and connects TCP
// (TCP_NODELAY set), each step bounded by `timeout`. Network failures are
// Unavailable naming host:port and the failed step. The plain-HTTP path of
// HttpsClient (S3 endpoints) stops here; ConnectTls goes on.
Result<std::unique_ptr<beast::tcp_stream>> ConnectTcp(asio::io_context& io,
                                                      const HttpsEndpoint& endpoint,
                                                      std::chrono::milliseconds timeout);

// Connects TCP as ConnectTcp does, then runs the TLS client handshake,
// bounded by `timeout` too.
//
// With a non-empty `verify_name` the server certificate must chain to the
// context's trust anchors and name `verify_name` (an IP literal is matched
// against IP SANs, a DNS name against DNS SANs, no partial wildcards);
// failures come back as PermissionDenied saying what to check. With an empty
// `verify_name` nothing is verified: only FetchPeerCertificateChain may do
// that. SNI is sent when `sni_name` is a DNS name (never for an IP literal).
//
// Network failures are Unavailable naming host:port and the failed step.
// Name resolution of a DNS name uses the system resolver; the timeout applies
// to it, but a lookup already inside getaddrinfo() is waited out (bounded by
// resolv.conf's own timeouts) because it cannot be abandoned safely.
Result<std::unique_ptr<TlsStream>> ConnectTls(asio::io_context& io, ssl::context& ctx,
                                              const HttpsEndpoint& endpoint,
                                              std::string_view verify_name,
                                              std::string_view sni_name,
                                              std::chrono::milliseconds timeout);

// Sends close_notify and waits (at most `timeout`) for the peer's, then closes
// the socket. Errors are dropped: the connection is being discarded anyway.
void ShutdownTls(asio::io_context& io, TlsStream& stream, std::chrono::milliseconds timeout);

// True for the errors that mean "the peer closed this connection": EOF,
// reset, broken pipe, TLS close without close_notify.
bool IsConnectionClosed(const boost::system::error_code& ec);

// "<what> <host:port>: <reason>" as Unavailable; a TLS alert about
// certificates (the server refusing our client certificate, or the lack of
// one) becomes PermissionDenied saying what to check.
Status NetworkError(std::string_view what, const HttpsEndpoint& endpoint,
                    const boost::system::error_code& ec, std::chrono::milliseconds timeout);

}  // namespace cairn::net_internal
