// ScriptedS3Server: a plain HTTP/1.1 server on 127.0.0.1:0 whose answers a
// test scripts, for the failures a real S3 server cannot be made to produce
// on cue (a part refused midway, a 200 carrying an error, an oversized or
// looping listing). It checks nothing (no signatures): the real-server tests
// are in s3_target_rgw_test.cc. It records every request line it served.
//
// Header-only because tests/CMakeLists.txt builds each test program from its
// *_test.cc files only. Thread-safety: the handler runs on the server's
// thread; requests() may be read once the client's calls have returned.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/net/asio.h"

namespace cairn::test {

struct ScriptedAnswer {
  unsigned status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

class ScriptedS3Server {
 public:
  // (method, target) -> answer.
  using Handler = std::function<ScriptedAnswer(const std::string&, const std::string&)>;

  explicit ScriptedS3Server(Handler handler)
      : handler_(std::move(handler)),
        acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~ScriptedS3Server() {
    io_.stop();
    thread_.join();
  }

  std::string endpoint() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  // "METHOD target" of every request served, in order.
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  struct Session : std::enable_shared_from_this<Session> {
    Session(tcp::socket s, ScriptedS3Server* server) : socket(std::move(s)), server(server) {}
    tcp::socket socket;
    ScriptedS3Server* server;
    beast::flat_buffer buffer;
    std::unique_ptr<http::request_parser<http::string_body>> parser;
    http::response<http::string_body> response;

    void Read() {
      parser = std::make_unique<http::request_parser<http::string_body>>();
      parser->body_limit(64ull << 20);
      http::async_read(
          socket, buffer, *parser,
          [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
            if (!ec) self->Answer();
          });
    }
    void Answer() {
      const auto& request = parser->get();
      const std::string method(request.method_string());
      const std::string target(request.target());
      {
        std::lock_guard<std::mutex> lock(server->mu_);
        server->requests_.push_back(method + " " + target);
      }
      ScriptedAnswer answer = server->handler_(method, target);
      response = {};
      response.version(11);
      response.result(answer.status);
      response.keep_alive(request.keep_alive());
      for (const auto& [name, value] : answer.headers) response.set(name, value);
      response.body() = std::move(answer.body);
      response.prepare_payload();
      http::async_write(
          socket, response,
          [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
            if (!ec) self->Read();
          });
    }
  };

  void Accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
      if (ec) return;
      std::make_shared<Session>(std::move(socket), this)->Read();
      Accept();
    });
  }

  Handler handler_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::mutex mu_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

}  // namespace cairn::test
