// A running HttpServer for integration tests: its own io_context on one
// thread, a thread_pool(2) for handlers, TLS on 127.0.0.1 with an ephemeral
// port. The destructor stops the server and joins every thread, also when a
// REQUIRE failed halfway. Header-only (the test program globs *_test.cc).
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <thread>

#include "appliance/server/http_server.h"
#include "tests/appliance/server/test_certs.h"

namespace cairn::test {

inline ListenerOptions TestListener(const TestPki& pki, ClientAuth auth = ClientAuth::kNone) {
  ListenerOptions o;
  o.name = "test";
  o.address = "127.0.0.1";
  o.port = 0;
  o.cert_chain_pem = pki.server.cert_pem;
  o.key_pem = pki.server.key_pem;
  o.client_auth = auth;
  if (auth != ClientAuth::kNone) o.client_ca_pem = pki.ca.cert_pem();
  return o;
}

class TestServer {
 public:
  TestServer(Router router, ListenerOptions options)
      : router_(std::move(router)), server_(io_, pool_, router_, std::move(options)) {
    Result<std::uint16_t> port = server_.Start();
    REQUIRE(port.ok());
    REQUIRE(*port != 0);
    port_ = *port;
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TestServer() {
    server_.Stop(std::chrono::milliseconds(0));
    io_.stop();
    if (thread_.joinable()) thread_.join();
    pool_.join();
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  HttpServer& server() { return server_; }
  const ListenerStats& stats() const { return server_.stats(); }
  std::uint16_t port() const { return port_; }
  std::thread::id io_thread_id() const { return thread_.get_id(); }

 private:
  asio::io_context io_;
  asio::thread_pool pool_{2};
  Router router_;
  HttpServer server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

// Polls `done` every 5 ms for up to `max`; true once it held.
inline bool WaitFor(const std::function<bool()>& done,
                    std::chrono::milliseconds max = std::chrono::milliseconds(3000)) {
  auto deadline = std::chrono::steady_clock::now() + max;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

}  // namespace cairn::test
