// Internals of HttpServer: the state a listener shares with its connections,
// and one connection's session. Not for use outside appliance/server.
//
// Thread-safety: everything here runs on the listener's I/O thread, except
// ServerState's stop rendezvous (mu/cv/stop_done, taken by Stop() from any
// thread), `stats` (atomics) and the handler / stream-piece calls, which run
// on the worker pool and touch only the request or response they were given.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>

#include "appliance/server/http_server.h"
#include "appliance/server/http_types.h"
#include "core/net/asio.h"

namespace cairn::server_internal {

class HttpSession;

// Owned jointly by the HttpServer and every session and pending operation of
// it (shared_ptr), so a session finishing after ~HttpServer is still safe.
struct ServerState : std::enable_shared_from_this<ServerState> {
  ServerState(asio::io_context& io_context, asio::thread_pool& worker_pool,
              const Router& route_table, ListenerOptions listener_options);

  // I/O thread: stop accepting, close idle connections, arm the grace timer.
  // Idempotent.
  void BeginStop(std::chrono::milliseconds grace);
  // I/O thread: after `grace`, every connection still open is closed.
  void CloseAllConnections();
  // I/O thread: marks the stop done (and wakes Stop()) once the accept loop
  // and every session have ended.
  void MaybeFinishStop();

  asio::io_context& io;
  asio::thread_pool& workers;
  const Router& router;
  ListenerOptions options;
  ListenerStats stats;
  std::optional<ssl::context> tls;  // set by Start(); read-only afterwards
  tcp::acceptor acceptor;
  asio::steady_timer grace_timer;

  // I/O thread only.
  std::unordered_set<HttpSession*> sessions;  // each alive while listed
  bool accepting = false;                     // the accept loop is running
  bool closing = false;                       // BeginStop ran

  // Claimed once, by whichever comes first: the accept loop's first step on
  // the I/O thread, or a Stop() that finds the I/O thread never ran it (then
  // Stop tears down on its own thread, as nothing else can be touching us).
  std::atomic<bool> io_claimed{false};

  // Stop()'s rendezvous with the I/O thread.
  std::mutex mu;
  std::condition_variable cv;
  bool stop_done = false;  // guarded by mu
};

// One TLS connection: handshake, then requests until the client closes, an
// error or timeout, or the server stops. Created by the accept loop, which
// lists it in ServerState::sessions and unlists it when Run ends.
class HttpSession {
 public:
  HttpSession(std::shared_ptr<ServerState> server, tcp::socket socket);
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  // The connection's whole life. Expected network failures are handled here;
  // anything thrown propagates to the co_spawn completion, which logs it and
  // drops the connection (CONVENTIONS.md "Errors").
  static asio::awaitable<void> Run(std::shared_ptr<HttpSession> self);

  // True while a request is being read, handled or answered: Stop lets such a
  // connection finish its request; idle ones are closed at once.
  bool busy() const { return busy_; }
  // Closes the socket now; pending operations end with operation_aborted.
  void Abort();
  const std::string& remote() const { return remote_; }

 private:
  enum class Next {
    kKeepAlive,    // read the next request
    kClose,        // send TLS close_notify, then close
    kLingerClose,  // request bytes may be unread: half-close and drain briefly,
                   // so the client reads our answer instead of a reset
    kAbort,        // close at once (error, timeout, stop, failed stream)
  };

  asio::awaitable<bool> Handshake();
  asio::awaitable<Next> ServeOne();
  // Reads the body of the request whose header is in head_ into body_;
  // returns kKeepAlive when the whole body is in, else how to end.
  asio::awaitable<Next> ReadBody(std::uint64_t max_body_bytes, unsigned version);
  asio::awaitable<Next> Respond(HttpResponse response, unsigned version, bool keep_alive,
                                bool body_unread);
  asio::awaitable<Next> WriteStreamed(HttpResponse response, unsigned version, bool keep_alive);
  asio::awaitable<void> Close(Next how);
  void CountResponse(unsigned status);

  std::shared_ptr<ServerState> server_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> head_;
  std::optional<http::request_parser<http::string_body>> body_;
  std::string remote_;     // "ip:port", for logs
  std::string remote_ip_;  // for HttpRequest::remote_address
  PeerIdentity peer_;
  bool busy_ = false;
};

}  // namespace cairn::server_internal
