// HttpServer: one HTTPS listener (e.g. "ingest", "admin") serving a Router.
//
// Threads: all network I/O runs on ONE io_context thread owned by the caller;
// handlers and streamed-body pieces run on the caller's worker pool and are
// awaited, so a slow client or a slow handler never holds up another
// connection. Each connection is one coroutine session (http_session.h):
// TLS handshake (handshake_timeout), then keep-alive requests, each bounded by
// header_limit_bytes, the route's max_body_bytes and idle_timeout.
//
// Lifetime: the io_context, the worker pool and the Router must outlive the
// HttpServer; Stop() (or the destructor) waits for running handlers, so after
// it returns nothing of this server runs any more.
// Thread-safety: Start() before io.run() or on the I/O thread; Stop(),
// stats() and port() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "appliance/server/http_types.h"
#include "appliance/server/router.h"
#include "appliance/server/tls_server_context.h"
#include "core/base/status.h"
#include "core/net/asio.h"

namespace cairn {

struct ListenerOptions {
  std::string name;                   // "ingest", "admin": in logs and stats
  std::string address = "127.0.0.1";  // an IP address (v4 or v6), not a host name
  std::uint16_t port = 0;             // 0: an ephemeral port (see HttpServer::port())
  std::string cert_chain_pem;         // server certificate, then intermediates
  std::string key_pem;                // wiped from the server's copy once loaded
  std::string client_ca_pem;          // verifies client certificates
  ClientAuth client_auth = ClientAuth::kNone;
  std::uint32_t header_limit_bytes = 16 << 10;  // request line + headers; beyond: 431
  // A request's header must arrive within idle_timeout of the read starting
  // (so a keep-alive connection idle this long, or a slow-loris client
  // trickling a header, is closed); while reading a body and writing a
  // response, each read/write of at most 256 KiB must finish within it.
  std::chrono::milliseconds idle_timeout{30000};
  std::chrono::milliseconds handshake_timeout{10000};
  // Beyond this many open connections a new one is accepted and closed at
  // once (counted in connections_refused).
  std::size_t max_connections = 256;
};

// Counters since Start(); monotonic except connections_active. Written on the
// I/O thread, readable from any thread (relaxed: figures, not synchronization).
struct ListenerStats {
  std::atomic<std::uint64_t> connections_total{0};    // connections served (not refused)
  std::atomic<std::uint64_t> connections_active{0};   // open now
  std::atomic<std::uint64_t> connections_refused{0};  // over max_connections
  std::atomic<std::uint64_t> requests_total{0};       // responses started, any status
  std::atomic<std::uint64_t> responses_4xx{0};
  std::atomic<std::uint64_t> responses_5xx{0};
  std::atomic<std::uint64_t> bytes_received{0};          // HTTP bytes parsed (after TLS)
  std::atomic<std::uint64_t> bytes_sent{0};              // HTTP bytes written (before TLS)
  std::atomic<std::uint64_t> tls_handshake_failures{0};  // incl. handshake timeouts
};

namespace server_internal {
struct ServerState;
}

class HttpServer {
 public:
  // io: the ONE I/O thread's context (owned and run by the caller); workers:
  // where handlers and stream pieces run. Nothing is opened until Start().
  HttpServer(asio::io_context& io, asio::thread_pool& workers, const Router& router,
             ListenerOptions options);
  // Stop(0) when started and not yet stopped.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Loads the TLS material, binds and listens, and starts accepting on the
  // io_context; returns the bound port. Call before io.run() or on the I/O
  // thread, once. Errors: InvalidArgument for a bad address or bad
  // certificate/key/CA, IoError when the address is in use or cannot be bound.
  Result<std::uint16_t> Start();

  // Graceful stop: stops accepting (the port refuses connections when this
  // returns), closes idle connections, lets in-flight requests finish and
  // answer with "Connection: close" for up to `grace`, then closes every
  // connection. Handlers cannot be interrupted, so Stop also waits for
  // handlers still running after `grace` (their responses are dropped).
  // From any thread but the I/O thread, Stop blocks until all of this is done;
  // if the io_context has not yet run (an error path before io.run()), Stop
  // closes the listener itself and returns; if it ran and has stopped, Stop
  // cannot wait and returns (connections end when the io_context is
  // destroyed). From the I/O thread Stop cannot wait for itself: it starts
  // the shutdown and returns. Later calls return once the first is done.
  void Stop(std::chrono::milliseconds grace);

  const ListenerStats& stats() const;
  std::uint16_t port() const;  // 0 before Start()

 private:
  std::shared_ptr<server_internal::ServerState> state_;
  std::atomic<bool> started_{false};
  std::atomic<bool> stop_called_{false};
  std::atomic<std::uint16_t> port_{0};
};

}  // namespace cairn
