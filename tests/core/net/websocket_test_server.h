// WebSocketTestServer: a small WebSocket-over-TLS server on 127.0.0.1 (port 0)
// for tests of WebSocketClient and of what is built on it (pod exec). One
// thread runs an io_context; each connection is a coroutine that follows a
// fixed script (WsScript): refuse the upgrade with an HTTP status, or accept
// it (choosing a subprotocol), send the scripted messages, optionally echo
// what the client sends, then close.
//
// It records what the last client asked (target, Authorization header,
// offered subprotocols, the client certificate's CN) and the messages it
// received, for tests to check.
//
// Header-only because tests/CMakeLists.txt builds each test program from its
// *_test.cc files only. Thread-safety: Start/Stop/the destructor from the
// test's thread; the recorded values through the accessors, which lock.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "core/base/status.h"
#include "core/net/asio.h"
#include "core/net/https_url.h"
#include "tests/core/net/loopback_tls_listener.h"

namespace cairn::test {

struct WsScript {
  int refuse_status = 0;  // not 0: answer the upgrade with this HTTP status ...
  std::string refuse_body;  // ... and this body
  std::string subprotocol;  // chosen in the 101 answer ("" = none)
  // Sent after the upgrade, in order: (binary, payload).
  std::vector<std::pair<bool, std::string>> send;
  bool echo = false;  // then echo every client message until the client closes
  bool hang = false;  // then say nothing for 5 s and drop the connection
  std::string client_ca_pem;  // not empty: require a client certificate from it
};

struct WsSeen {
  std::string target;
  std::string authorization;
  std::string offered_subprotocols;
  std::string client_cn;
  std::vector<std::string> received;
};

class WebSocketTestServer {
 public:
  static Result<std::unique_ptr<WebSocketTestServer>> Start(const std::string& cert_pem,
                                                            const std::string& key_pem,
                                                            WsScript script) {
    std::unique_ptr<WebSocketTestServer> server(new WebSocketTestServer(std::move(script)));
    CAIRN_RETURN_IF_ERROR(server->Init(cert_pem, key_pem));
    server->thread_ = std::thread([s = server.get()] { s->io_.run(); });
    return server;
  }

  ~WebSocketTestServer() { Stop(); }
  WebSocketTestServer(const WebSocketTestServer&) = delete;
  WebSocketTestServer& operator=(const WebSocketTestServer&) = delete;

  void Stop() {
    if (thread_.joinable()) {
      io_.stop();
      thread_.join();
    }
  }

  HttpsEndpoint endpoint() const { return HttpsEndpoint{"127.0.0.1", port_}; }
  int sessions_finished() const { return finished_.load(); }
  WsSeen seen() const {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }

  // Polls (at most `timeout`) until `n` sessions have ended.
  bool WaitForFinished(int n, std::chrono::milliseconds timeout) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (finished_.load() < n) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

 private:
  using error_code = boost::system::error_code;
  using Tls = ssl::stream<tcp::socket>;
  using Ws = boost::beast::websocket::stream<Tls>;

  explicit WebSocketTestServer(WsScript script) : script_(std::move(script)) {}

  Status Init(const std::string& cert_pem, const std::string& key_pem) {
    CAIRN_RETURN_IF_ERROR(test::LoadServerTls(ctx_, cert_pem, key_pem, script_.client_ca_pem));
    CAIRN_ASSIGN_OR_RETURN(port_, test::ListenOnLoopback(acceptor_));
    asio::co_spawn(io_, AcceptLoop(), asio::detached);
    return Status::Ok();
  }

  asio::awaitable<void> AcceptLoop() {
    for (;;) {
      error_code ec;
      tcp::socket socket =
          co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      asio::co_spawn(io_, Session(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> Session(tcp::socket socket) {
    namespace websocket = boost::beast::websocket;
    Ws ws(std::move(socket), ctx_);
    error_code ec;
    co_await ws.next_layer().async_handshake(ssl::stream_base::server,
                                             asio::redirect_error(asio::use_awaitable, ec));
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    if (!ec) {
      co_await http::async_read(ws.next_layer(), buffer, req,
                                asio::redirect_error(asio::use_awaitable, ec));
    }
    if (!ec) Record(req, ws.next_layer());
    if (!ec && script_.refuse_status != 0) {
      http::response<http::string_body> res{static_cast<http::status>(script_.refuse_status),
                                            req.version()};
      res.set(http::field::content_type, "application/json");
      res.body() = script_.refuse_body;
      res.prepare_payload();
      co_await http::async_write(ws.next_layer(), res,
                                 asio::redirect_error(asio::use_awaitable, ec));
      ec = asio::error::operation_aborted;  // nothing more on this connection
    }
    if (!ec) {
      std::string chosen = script_.subprotocol;
      auto decorate = [chosen](websocket::response_type& res) {
        if (!chosen.empty()) res.set(http::field::sec_websocket_protocol, chosen);
      };
      ws.set_option(websocket::stream_base::decorator(decorate));
      co_await ws.async_accept(req, asio::redirect_error(asio::use_awaitable, ec));
    }
    if (!ec && script_.hang) {
      asio::steady_timer timer(io_, std::chrono::seconds(5));
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      ec = asio::error::operation_aborted;
    }
    for (std::size_t i = 0; !ec && i < script_.send.size(); ++i) {
      ws.binary(script_.send[i].first);
      co_await ws.async_write(asio::buffer(script_.send[i].second),
                              asio::redirect_error(asio::use_awaitable, ec));
    }
    // Bounded by the client: each pass echoes one message or ends.
    while (!ec && script_.echo) {
      beast::flat_buffer msg;
      co_await ws.async_read(msg, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      std::string text = beast::buffers_to_string(msg.data());
      {
        std::lock_guard<std::mutex> lock(mu_);
        seen_.received.push_back(text);
      }
      ws.binary(ws.got_binary());
      co_await ws.async_write(asio::buffer(text), asio::redirect_error(asio::use_awaitable, ec));
    }
    if (!ec) {
      co_await ws.async_close(websocket::close_code::normal,
                              asio::redirect_error(asio::use_awaitable, ec));
    }
    error_code ignored;
    ws.next_layer().next_layer().close(ignored);
    ++finished_;
  }

  void Record(const http::request<http::string_body>& req, Tls& tls) {
    std::lock_guard<std::mutex> lock(mu_);
    seen_.target = std::string(req.target());
    seen_.authorization = std::string(req[http::field::authorization]);
    seen_.offered_subprotocols = std::string(req[http::field::sec_websocket_protocol]);
    seen_.client_cn.clear();
    if (X509* cert = SSL_get0_peer_certificate(tls.native_handle())) {
      char buf[256] = {};
      int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf,
                                        sizeof buf);
      if (n > 0) seen_.client_cn.assign(buf, static_cast<std::size_t>(n));
    }
  }

  WsScript script_;
  ssl::context ctx_{ssl::context::tls_server};
  asio::io_context io_{1};
  tcp::acceptor acceptor_{io_};
  std::thread thread_;
  std::uint16_t port_ = 0;
  std::atomic<int> finished_{0};
  mutable std::mutex mu_;
  WsSeen seen_;
};

}  // namespace cairn::test
