// TlsTestServer: a small HTTPS/1.1 server on 127.0.0.1 (port 0) for core/net's
// integration tests. One thread runs an io_context with an ssl acceptor; each
// connection is a coroutine serving keep-alive requests from a fixed script:
//
//   GET  /hello         200 "hello, world" (text/plain)
//   POST /echo          200, the request body and Content-Type echoed back;
//                       request header X-Test echoed as X-Echo-Test
//   GET  /bytes/N       200, N pattern bytes with Content-Length
//   GET  /chunked/N     200, N pattern bytes, chunked, 64 KiB per chunk
//   GET  /close-after   200 "bye" (keep-alive), then the server drops the
//                       connection without a word, as an idle timeout would
//   GET  /hang          reads the request, says nothing for 5 s, then drops
//                       the connection
//   GET  /whoami        200, body = CN of the client certificate ("" if none)
//   anything else       404
//
// It counts accepted TCP connections, completed TLS handshakes, requests and
// closed connections, so tests can prove keep-alive and reconnects.
//
// Header-only because tests/CMakeLists.txt builds each test program from its
// *_test.cc files only.
//
// Thread-safety: Start/Stop/the destructor from the test's thread; counters
// are atomics readable from any thread.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "core/base/status.h"
#include "core/net/asio.h"
#include "core/net/https_url.h"
#include "tests/core/net/loopback_tls_listener.h"

namespace cairn::test {

struct TlsTestServerOptions {
  std::string cert_chain_pem;  // server certificate, optionally followed by its CA
  std::string key_pem;
  std::string client_ca_pem;  // not empty: require a client certificate issued by it
  bool tls12_only = false;    // refuse TLS 1.3 (to test the TLS 1.2 path)
};

// Deterministic body bytes for /bytes/N and /chunked/N.
inline std::string PatternBytes(std::size_t n) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>((i * 131 + (i >> 16)) & 0xff);
  return out;
}

class TlsTestServer {
 public:
  static Result<std::unique_ptr<TlsTestServer>> Start(const TlsTestServerOptions& options) {
    std::unique_ptr<TlsTestServer> server(new TlsTestServer());
    CAIRN_RETURN_IF_ERROR(server->Init(options));
    server->thread_ = std::thread([s = server.get()] { s->io_.run(); });
    return server;
  }

  ~TlsTestServer() { Stop(); }
  TlsTestServer(const TlsTestServer&) = delete;
  TlsTestServer& operator=(const TlsTestServer&) = delete;

  // Stops the io_context and joins its thread. Unfinished sessions (a /hang
  // still waiting) are destroyed with the io_context, closing their sockets.
  void Stop() {
    if (thread_.joinable()) {
      io_.stop();
      thread_.join();
    }
  }

  std::uint16_t port() const { return port_; }
  HttpsEndpoint endpoint() const { return HttpsEndpoint{"127.0.0.1", port_}; }
  int connections_accepted() const { return accepted_.load(); }
  int handshakes_completed() const { return handshakes_.load(); }
  int handshakes_failed() const { return handshakes_failed_.load(); }
  int requests_served() const { return requests_.load(); }
  int connections_closed() const { return closed_.load(); }

  // Waits (polling, at most `timeout`) until at least `n` connections ended.
  bool WaitForClosed(int n, std::chrono::milliseconds timeout) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (closed_.load() < n) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

 private:
  using error_code = boost::system::error_code;
  using Stream = ssl::stream<tcp::socket>;
  static constexpr std::chrono::seconds kHangFor{5};

  TlsTestServer() = default;

  Status Init(const TlsTestServerOptions& options) {
    SSL_CTX_set_min_proto_version(ctx_.native_handle(), TLS1_2_VERSION);
    if (options.tls12_only) SSL_CTX_set_max_proto_version(ctx_.native_handle(), TLS1_2_VERSION);
    CAIRN_RETURN_IF_ERROR(
        test::LoadServerTls(ctx_, options.cert_chain_pem, options.key_pem, options.client_ca_pem));
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
      ++accepted_;
      asio::co_spawn(io_, Session(std::move(socket)), asio::detached);
    }
  }

  // Parameters by value: the frame outlives the caller's suspension.
  asio::awaitable<void> Session(tcp::socket socket) {
    Stream stream(std::move(socket), ctx_);
    error_code ec;
    co_await stream.async_handshake(ssl::stream_base::server,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      ++handshakes_failed_;
      ++closed_;
      co_return;
    }
    ++handshakes_;
    beast::flat_buffer buffer;
    // Bounded by the client: each pass serves one request or ends the session.
    for (;;) {
      http::request<http::string_body> req;
      co_await http::async_read(stream, buffer, req, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      ++requests_;
      std::string target(req.target().data(), req.target().size());
      if (target == "/hang") {
        // Says nothing for kHangFor, then drops the connection: long enough
        // for any client timeout under test, short enough that a client
        // whose timeout is broken fails its test instead of hanging it.
        asio::steady_timer timer(io_, kHangFor);
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        break;
      }
      if (target.rfind("/chunked/", 0) == 0) {
        ec = co_await WriteChunked(&stream, ParseSize(target.substr(9)));
        if (ec) break;
        continue;
      }
      http::response<http::string_body> res{http::status::ok, req.version()};
      res.keep_alive(true);
      res.set(http::field::content_type, "text/plain");
      bool close_after = false;
      if (target == "/hello") {
        res.body() = "hello, world";
      } else if (target == "/echo" && req.method() == http::verb::post) {
        res.body() = req.body();
        auto ct = req[http::field::content_type];
        res.set(http::field::content_type, ct);
        auto test = req["X-Test"];
        if (!test.empty()) res.set("X-Echo-Test", test);
      } else if (target.rfind("/bytes/", 0) == 0) {
        res.body() = PatternBytes(ParseSize(target.substr(7)));
        res.set(http::field::content_type, "application/octet-stream");
      } else if (target == "/close-after") {
        res.body() = "bye";
        close_after = true;
      } else if (target == "/whoami") {
        res.body() = ClientCommonName(stream);
      } else {
        res.result(http::status::not_found);
        res.body() = "no such test route";
      }
      res.prepare_payload();
      co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || close_after) break;
    }
    // No close_notify: like a server whose idle timer fired, just drop it.
    error_code ignored;
    stream.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
    stream.next_layer().close(ignored);
    ++closed_;
  }

  static std::size_t ParseSize(std::string_view text) {
    std::size_t n = 0;
    std::from_chars(text.data(), text.data() + text.size(), n);
    return n;
  }

  // The stream by pointer, not reference: a coroutine's parameters must be
  // values (CONVENTIONS.md); the caller's frame keeps the stream alive.
  static asio::awaitable<error_code> WriteChunked(Stream* stream_ptr, std::size_t n) {
    Stream& stream = *stream_ptr;
    error_code ec;
    const std::string body = PatternBytes(n);
    http::response<http::empty_body> res{http::status::ok, 11};
    res.set(http::field::content_type, "application/octet-stream");
    res.keep_alive(true);
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    co_await http::async_write_header(stream, sr, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return ec;
    constexpr std::size_t kChunk = 64 * 1024;
    for (std::size_t off = 0; off < n; off += kChunk) {
      std::size_t len = std::min(kChunk, n - off);
      co_await asio::async_write(stream, http::make_chunk(asio::buffer(body.data() + off, len)),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return ec;
    }
    co_await asio::async_write(stream, http::make_chunk_last(),
                               asio::redirect_error(asio::use_awaitable, ec));
    co_return ec;
  }

  static std::string ClientCommonName(Stream& stream) {
    X509* cert = SSL_get0_peer_certificate(stream.native_handle());
    if (cert == nullptr) return "";
    char buf[256] = {};
    int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  }

  // Order matters for destruction: the acceptor before the io_context.
  ssl::context ctx_{ssl::context::tls_server};
  asio::io_context io_{1};
  tcp::acceptor acceptor_{io_};
  std::thread thread_;
  std::uint16_t port_ = 0;
  std::atomic<int> accepted_{0};
  std::atomic<int> handshakes_{0};
  std::atomic<int> handshakes_failed_{0};
  std::atomic<int> requests_{0};
  std::atomic<int> closed_{0};
};

}  // namespace cairn::test
