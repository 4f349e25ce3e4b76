#include "appliance/server/http_server.h"

#include <openssl/crypto.h>

#include "appliance/server/http_session.h"
#include "core/base/log.h"

namespace cairn {
namespace server_internal {
namespace {

using boost::system::error_code;

// After an accept error other than "closed" (EMFILE, ENFILE, ENOBUFS), wait
// this long instead of spinning on the error.
constexpr std::chrono::milliseconds kAcceptErrorBackoff{100};

// co_spawn completion of a session: the one place a connection's unexpected
// exception is logged, and where it leaves the session list.
struct SessionDone {
  std::shared_ptr<ServerState> server;
  std::shared_ptr<HttpSession> session;
  void operator()(std::exception_ptr e) {
    if (e) {
      std::string what = "unknown exception";
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        what = ex.what();
      } catch (...) {
      }
      Log(LogLevel::kError, "http.connection_dropped",
               {{"listener", server->options.name}, {"remote", session->remote()}, {"what", what}});
      session->Abort();
    }
    server->sessions.erase(session.get());
    --server->stats.connections_active;
    session.reset();
    server->MaybeFinishStop();
  }
};

struct AcceptLoopDone {
  std::shared_ptr<ServerState> server;
  void operator()(std::exception_ptr e) {
    if (e) {
      Log(LogLevel::kError, "http.accept_loop_failed", {{"listener", server->options.name}});
      error_code ec;
      server->acceptor.close(ec);
    }
    server->accepting = false;
    server->MaybeFinishStop();
  }
};

asio::awaitable<void> AcceptLoop(std::shared_ptr<ServerState> server) {
  if (server->io_claimed.exchange(true, std::memory_order_acq_rel)) co_return;  // Stop came first
  for (;;) {  // until the acceptor is closed by Stop
    error_code ec;
    tcp::socket socket =
        co_await server->acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (server->closing || ec == asio::error::operation_aborted) break;
    if (ec) {
      Log(LogLevel::kWarn, "http.accept_failed",
               {{"listener", server->options.name}, {"error", ec.message()}});
      asio::steady_timer backoff(server->io, kAcceptErrorBackoff);
      co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    if (server->sessions.size() >= server->options.max_connections) {
      ++server->stats.connections_refused;
      error_code ignored;
      tcp::endpoint ep = socket.remote_endpoint(ignored);
      Log(LogLevel::kWarn, "http.connection_refused",
               {{"listener", server->options.name},
                {"remote", ep.address().to_string()},
                {"reason", "max_connections"},
                {"max_connections", std::to_string(server->options.max_connections)}});
      socket.close(ignored);
      continue;
    }
    // Responses are often a header and a small body: without TCP_NODELAY,
    // Nagle plus the client's delayed ACK add ~40 ms to each round trip.
    error_code nodelay_ignored;
    socket.set_option(tcp::no_delay(true), nodelay_ignored);
    auto session = std::make_shared<HttpSession>(server, std::move(socket));
    server->sessions.insert(session.get());
    ++server->stats.connections_total;
    ++server->stats.connections_active;
    asio::co_spawn(server->io, HttpSession::Run(session), SessionDone{server, session});
  }
}

}  // namespace

ServerState::ServerState(asio::io_context& io_context, asio::thread_pool& worker_pool,
                         const Router& route_table, ListenerOptions listener_options)
    : io(io_context),
      workers(worker_pool),
      router(route_table),
      options(std::move(listener_options)),
      acceptor(io_context),
      grace_timer(io_context) {}

void ServerState::BeginStop(std::chrono::milliseconds grace) {
  if (closing) return;
  closing = true;
  error_code ec;
  acceptor.close(ec);
  std::size_t busy = 0;
  for (HttpSession* s : sessions) {
    if (s->busy()) {
      ++busy;
    } else {
      s->Abort();
    }
  }
  Log(LogLevel::kInfo, "http.stopping",
           {{"listener", options.name},
            {"in_flight", std::to_string(busy)},
            {"grace_ms", std::to_string(grace.count())}});
  grace_timer.expires_after(grace);
  grace_timer.async_wait([self = shared_from_this()](error_code timer_ec) {
    if (!timer_ec) self->CloseAllConnections();
  });
  MaybeFinishStop();
}

void ServerState::CloseAllConnections() {
  if (!sessions.empty()) {
    Log(LogLevel::kWarn, "http.grace_expired",
             {{"listener", options.name}, {"closed", std::to_string(sessions.size())}});
  }
  for (HttpSession* s : sessions) s->Abort();
}

void ServerState::MaybeFinishStop() {
  if (!closing || accepting || !sessions.empty()) return;
  grace_timer.cancel();
  std::lock_guard<std::mutex> lock(mu);
  if (!stop_done) {
    stop_done = true;
    Log(LogLevel::kInfo, "http.stopped", {{"listener", options.name}});
  }
  cv.notify_all();
}

}  // namespace server_internal

using server_internal::ServerState;

HttpServer::HttpServer(asio::io_context& io, asio::thread_pool& workers, const Router& router,
                       ListenerOptions options)
    : state_(std::make_shared<ServerState>(io, workers, router, std::move(options))) {}

HttpServer::~HttpServer() {
  if (started_.load()) Stop(std::chrono::milliseconds(0));
}

Result<std::uint16_t> HttpServer::Start() {
  ServerState& st = *state_;
  const std::string listener = "listener " + (st.options.name.empty() ? "?" : st.options.name);
  if (started_.load()) return Status::InvalidArgument(listener + ": already started");

  TlsServerConfig tls_config;
  tls_config.cert_chain_pem = st.options.cert_chain_pem;
  tls_config.key_pem = st.options.key_pem;
  tls_config.client_ca_pem = st.options.client_ca_pem;
  tls_config.client_auth = st.options.client_auth;
  tls_config.session_id_context = st.options.name;
  Result<ssl::context> tls = MakeTlsServerContext(tls_config);
  // The key now lives in the SSL_CTX only; do not keep a second copy around.
  OPENSSL_cleanse(st.options.key_pem.data(), st.options.key_pem.size());
  st.options.key_pem.clear();
  if (!tls.ok()) return tls.error().WithContext(listener);
  st.tls.emplace(std::move(*tls));

  boost::system::error_code ec;
  asio::ip::address address = asio::ip::make_address(st.options.address, ec);
  if (ec) {
    return Status::InvalidArgument(listener + ": address '" + st.options.address +
                                   "' is not an IP address (host names are not resolved here)");
  }
  tcp::endpoint endpoint(address, st.options.port);
  const std::string where = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  auto fail = [&](const char* what) {
    boost::system::error_code ignored;
    st.acceptor.close(ignored);
    std::string hint;
    if (ec == asio::error::address_in_use) hint = " (another process listens there?)";
    if (ec == boost::system::errc::address_not_available) hint = " (no interface has this address)";
    return Status::IoError(listener + ": " + what + " " + where + ": " + ec.message() + hint);
  };
  st.acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail("open socket for");
  // Lets a restarted daemon bind while old connections sit in TIME_WAIT; on
  // Linux it does not let two live listeners share the port.
  st.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("set SO_REUSEADDR on");
  st.acceptor.bind(endpoint, ec);
  if (ec) return fail("bind");
  st.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen on");
  tcp::endpoint bound = st.acceptor.local_endpoint(ec);
  if (ec) return fail("read the bound port of");

  port_ = bound.port();
  st.accepting = true;
  started_ = true;
  asio::co_spawn(st.io, server_internal::AcceptLoop(state_),
                 server_internal::AcceptLoopDone{state_});
  Log(LogLevel::kInfo, "http.listening",
           {{"listener", st.options.name},
            {"address", bound.address().to_string()},
            {"port", std::to_string(bound.port())}});
  return bound.port();
}

void HttpServer::Stop(std::chrono::milliseconds grace) {
  if (!started_.load()) return;
  std::shared_ptr<ServerState> st = state_;
  if (st->io.get_executor().running_in_this_thread()) {
    st->BeginStop(grace);  // cannot wait for the thread we are on
    return;
  }
  if (!st->io_claimed.exchange(true, std::memory_order_acq_rel)) {
    // The I/O thread has not run the accept loop (perhaps it never will, as
    // on a daemon's error path before io.run()): no connection exists and
    // none can start, so the shutdown is done here; waiting would hang.
    boost::system::error_code ignored;
    st->acceptor.close(ignored);
    st->closing = true;
    std::lock_guard<std::mutex> lock(st->mu);
    st->stop_done = true;
    Log(LogLevel::kInfo, "http.stopped", {{"listener", st->options.name}});
    return;
  }
  if (!stop_called_.exchange(true)) {
    asio::post(st->io, [st, grace] { st->BeginStop(grace); });
  }
  std::unique_lock<std::mutex> lock(st->mu);
  // Re-check now and then whether the io_context still runs: if it stopped,
  // nothing will ever finish the shutdown and waiting would hang.
  while (!st->cv.wait_for(lock, std::chrono::milliseconds(50), [&] { return st->stop_done; })) {
    if (st->io.stopped()) return;
  }
}

const ListenerStats& HttpServer::stats() const { return state_->stats; }

std::uint16_t HttpServer::port() const { return port_.load(); }

}  // namespace cairn
