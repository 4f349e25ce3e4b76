// HttpsClient over plain HTTP (http:// endpoints, for S3 servers inside a
// site), connect_host, and the on_header check of SendStreaming, against a
// small plain HTTP/1.1 server on 127.0.0.1:0 in this file.
#include <atomic>
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <thread>

#include "core/net/asio.h"
#include "core/net/https_client.h"
#include "core/net/https_url.h"

namespace cairn {
namespace {

using boost::system::error_code;

// Answers every request on a kept-alive connection with 200 and the body
// "host=<Host header> target=<target>"; GET /big answers 1 MiB of 'x'.
// Counts accepted connections. One thread runs the io_context; Stop (or the
// destructor) ends it.
class PlainHttpServer {
 public:
  PlainHttpServer() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~PlainHttpServer() {
    io_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  int connections() const { return connections_.load(); }

 private:
  struct Session : std::enable_shared_from_this<Session> {
    explicit Session(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    http::response<http::string_body> response;

    void Read() {
      request = {};
      http::async_read(socket, buffer, request,
                       [self = shared_from_this()](const error_code& ec, std::size_t) {
                         if (!ec) self->Answer();
                       });
    }
    void Answer() {
      response = {};
      response.version(11);
      response.result(http::status::ok);
      response.keep_alive(request.keep_alive());
      if (request.target() == "/big") {
        response.body() = std::string(1 << 20, 'x');
      } else {
        response.body() = "host=" + std::string(request[http::field::host]) +
                          " target=" + std::string(request.target());
      }
      response.prepare_payload();
      http::async_write(socket, response,
                        [self = shared_from_this()](const error_code& ec, std::size_t) {
                          if (!ec) self->Read();
                        });
    }
  };

  void Accept() {
    acceptor_.async_accept([this](const error_code& ec, tcp::socket socket) {
      if (ec) return;
      ++connections_;
      std::make_shared<Session>(std::move(socket))->Read();
      Accept();
    });
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::atomic<int> connections_{0};
  std::thread thread_;
};

std::unique_ptr<HttpsClient> PlainClient(HttpsEndpoint endpoint, std::string connect_host = "") {
  HttpsClientOptions o;
  o.endpoint = std::move(endpoint);
  o.connect_host = std::move(connect_host);
  o.timeout = std::chrono::milliseconds(5000);
  auto client = HttpsClient::Create(std::move(o));
  INFO(client.status().ToString());
  REQUIRE(client.ok());
  return std::move(*client);
}

HttpsRequest Get(std::string target) {
  HttpsRequest r;
  r.target = std::move(target);
  return r;
}

TEST_CASE("ParseHttpUrl: http:// is accepted with port 80 by default, https:// as before",
          "[unit][net]") {
  auto plain = ParseHttpUrl("http://127.0.0.1:7480");
  REQUIRE(plain.ok());
  CHECK(plain->host == "127.0.0.1");
  CHECK(plain->port == 7480);
  CHECK_FALSE(plain->tls);
  auto default_port = ParseHttpUrl("HTTP://s3.site.example/");
  REQUIRE(default_port.ok());
  CHECK(default_port->port == 80);
  auto tls = ParseHttpUrl("https://s3.eu-central-1.amazonaws.com");
  REQUIRE(tls.ok());
  CHECK(tls->tls);
  CHECK(tls->port == 443);
  CHECK(ParseHttpUrl("ftp://host").status().IsInvalidArgument());
  CHECK(ParseHttpUrl("http://host/bucket").status().IsInvalidArgument());
  // The appliance's parser still refuses plain http.
  CHECK(ParseHttpsUrl("http://127.0.0.1:7480").status().IsInvalidArgument());
}

TEST_CASE("HostHeaderValue: the scheme's default port is left out, any other kept", "[unit][net]") {
  CHECK(HostHeaderValue(HttpsEndpoint{"s3.example", 443, true}) == "s3.example");
  CHECK(HostHeaderValue(HttpsEndpoint{"s3.example", 80, true}) == "s3.example:80");
  CHECK(HostHeaderValue(HttpsEndpoint{"s3.example", 80, false}) == "s3.example");
  CHECK(HostHeaderValue(HttpsEndpoint{"::1", 7480, false}) == "[::1]:7480");
}

TEST_CASE("HttpsClient: an http:// endpoint is spoken to without TLS on one kept-alive connection",
          "[integration][net]") {
  PlainHttpServer server;
  auto client = PlainClient(HttpsEndpoint{"127.0.0.1", server.port(), false});
  for (int i = 0; i < 3; ++i) {
    auto r = client->Send(Get("/hello?i=" + std::to_string(i)));
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    CHECK(r->status == 200);
    CHECK(r->body == "host=127.0.0.1:" + std::to_string(server.port()) +
                         " target=/hello?i=" + std::to_string(i));
  }
  CHECK(server.connections() == 1);
}

TEST_CASE("HttpsClient: connect_host connects elsewhere while the Host header keeps the endpoint",
          "[integration][net]") {
  PlainHttpServer server;
  // "bucket.nowhere.invalid" cannot resolve: the request only arrives
  // because the client connects to 127.0.0.1.
  auto client =
      PlainClient(HttpsEndpoint{"bucket.nowhere.invalid", server.port(), false}, "127.0.0.1");
  auto r = client->Send(Get("/key"));
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  CHECK(r->body == "host=bucket.nowhere.invalid:" + std::to_string(server.port()) + " target=/key");
}

TEST_CASE("HttpsClient: an on_header check refuses a response before its body is read",
          "[integration][net]") {
  PlainHttpServer server;
  auto client = PlainClient(HttpsEndpoint{"127.0.0.1", server.port(), false});
  std::size_t body_bytes = 0;
  std::string seen_length;
  auto r = client->SendStreaming(
      Get("/big"),
      [&](std::string_view piece) {
        body_bytes += piece.size();
        return Status::Ok();
      },
      [&](const HttpsResponse& head) {
        seen_length = head.headers.at("content-length");
        return Status::InvalidArgument("too large");
      });
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message() == "too large");
  CHECK(seen_length == std::to_string(1 << 20));
  CHECK(body_bytes == 0);
  // The refused response closed the connection; the client reconnects.
  auto again = client->Send(Get("/after"));
  INFO(again.status().ToString());
  REQUIRE(again.ok());
  CHECK(server.connections() == 2);
}

}  // namespace
}  // namespace cairn
