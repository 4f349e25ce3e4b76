#include "core/net/https_client.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "core/net/asio.h"
#include "tests/core/net/test_certs.h"
#include "tests/core/net/tls_test_server.h"

namespace cairn {
namespace {

using std::chrono::milliseconds;
using test::IssueTestCert;
using test::MakeTestCa;
using test::PatternBytes;
using test::TestCa;
using test::TestCert;
using test::TlsTestServer;
using test::TlsTestServerOptions;

// One CA, a server certificate for 127.0.0.1, cairn.test and localhost, and a client
// certificate, made once per test.
struct Pki {
  TestCa ca;
  TestCert server;
  TestCert client;
};

Pki MakePki() {
  Pki pki;
  auto ca = MakeTestCa("Cairn Test CA");
  REQUIRE(ca.ok());
  pki.ca = *ca;
  auto server =
      IssueTestCert(pki.ca, {"appliance", {"cairn.test", "localhost"}, {"127.0.0.1"}, false});
  REQUIRE(server.ok());
  pki.server = *server;
  auto client = IssueTestCert(pki.ca, {"agent-1", {}, {}, true});
  REQUIRE(client.ok());
  pki.client = *client;
  return pki;
}

std::unique_ptr<TlsTestServer> StartServer(const TlsTestServerOptions& options) {
  auto server = TlsTestServer::Start(options);
  INFO(server.status().ToString());
  REQUIRE(server.ok());
  return std::move(*server);
}

std::unique_ptr<TlsTestServer> StartServer(const Pki& pki) {
  return StartServer(TlsTestServerOptions{pki.server.cert_pem, pki.server.key_pem, "", false});
}

HttpsClientOptions ClientOptions(const Pki& pki, const TlsTestServer& server) {
  HttpsClientOptions o;
  o.endpoint = server.endpoint();
  o.ca_pem = pki.ca.cert_pem;
  o.timeout = milliseconds(5000);
  return o;
}

std::unique_ptr<HttpsClient> MakeClient(HttpsClientOptions options) {
  auto client = HttpsClient::Create(std::move(options));
  INFO(client.status().ToString());
  REQUIRE(client.ok());
  return std::move(*client);
}

HttpsRequest Get(std::string target) {
  HttpsRequest r;
  r.target = std::move(target);
  return r;
}

bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// A port on 127.0.0.1 nobody listens on (bound, then released).
std::uint16_t UnusedPort() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

TEST_CASE("HttpsClient: GET and POST share one kept-alive connection and one TLS handshake",
          "[integration][net]") {
  Pki pki = MakePki();
  auto server = StartServer(pki);
  auto client = MakeClient(ClientOptions(pki, *server));
  CHECK(server->connections_accepted() == 0);  // Create does not connect

  auto hello = client->Send(Get("/hello"));
  INFO(hello.status().ToString());
  REQUIRE(hello.ok());
  CHECK(hello->status == 200);
  CHECK(hello->body == "hello, world");
  CHECK(hello->content_type == "text/plain");
  CHECK(hello->headers.at("content-length") == "12");

  HttpsRequest post;
  post.method = "POST";
  post.target = "/echo";
  post.body = R"({"name":"web-1"})";
  post.content_type = "application/json";
  post.headers = {{"X-Test", "42"}};
  auto echo = client->Send(post);
  INFO(echo.status().ToString());
  REQUIRE(echo.ok());
  CHECK(echo->status == 200);
  CHECK(echo->body == post.body);
  CHECK(echo->content_type == "application/json");
  CHECK(echo->headers.at("x-echo-test") == "42");

  auto missing = client->Send(Get("/nope"));
  REQUIRE(missing.ok());  // an HTTP error status is a response, not a failure
  CHECK(missing->status == 404);

  CHECK(server->connections_accepted() == 1);
  CHECK(server->handshakes_completed() == 1);
  CHECK(server->requests_served() == 3);
}

TEST_CASE("HttpsClient: a server certificate from another CA is PermissionDenied",
          "[integration][net]") {
  Pki pki = MakePki();
  auto other_ca = MakeTestCa("Unrelated CA");
  REQUIRE(other_ca.ok());
  auto server = StartServer(pki);
  HttpsClientOptions o = ClientOptions(pki, *server);
  o.ca_pem = other_ca->cert_pem;
  auto client = MakeClient(o);
  auto r = client->Send(Get("/hello"));
  REQUIRE_FALSE(r.ok());
  INFO(r.error().ToString());
  CHECK(r.error().IsPermissionDenied());
  CHECK_FALSE(r.error().retryable());
  CHECK(Contains(r.error().message(), "not trusted by the given CA"));
  CHECK(Contains(r.error().message(), server->endpoint().host));
  CHECK(server->requests_served() == 0);
}

TEST_CASE("HttpsClient: the server certificate must carry the expected name",
          "[integration][net]") {
  Pki pki = MakePki();
  auto server = StartServer(pki);

  SECTION("a name the certificate does not list is PermissionDenied") {
    HttpsClientOptions o = ClientOptions(pki, *server);
    o.server_name = "wrong.example";
    auto r = MakeClient(o)->Send(Get("/hello"));
    REQUIRE_FALSE(r.ok());
    INFO(r.error().ToString());
    CHECK(r.error().IsPermissionDenied());
    CHECK(Contains(r.error().message(), "not valid for 'wrong.example'"));
  }
  SECTION("an IP address the certificate does not list is PermissionDenied") {
    HttpsClientOptions o = ClientOptions(pki, *server);
    o.server_name = "127.0.0.2";
    auto r = MakeClient(o)->Send(Get("/hello"));
    REQUIRE_FALSE(r.ok());
    INFO(r.error().ToString());
    CHECK(r.error().IsPermissionDenied());
    CHECK(Contains(r.error().message(), "not valid for '127.0.0.2'"));
  }
  SECTION("a host name is resolved and checked against the DNS names") {
    HttpsClientOptions o = ClientOptions(pki, *server);
    o.endpoint.host = "localhost";  // may resolve to ::1 first, where nobody listens
    auto r = MakeClient(o)->Send(Get("/hello"));
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    CHECK(r->body == "hello, world");
  }
  SECTION("a DNS name in the certificate is accepted when connecting by IP") {
    HttpsClientOptions o = ClientOptions(pki, *server);
    o.server_name = "cairn.test";
    auto r = MakeClient(o)->Send(Get("/hello"));
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    CHECK(r->body == "hello, world");
  }
}

TEST_CASE("HttpsClient: a response body over max_response_body is refused, naming the limit",
          "[integration][net]") {
  Pki pki = MakePki();
  auto server = StartServer(pki);
  HttpsClientOptions o = ClientOptions(pki, *server);
  o.max_response_body = 1000;
  auto client = MakeClient(o);

  auto at_limit = client->Send(Get("/bytes/1000"));
  INFO(at_limit.status().ToString());
  REQUIRE(at_limit.ok());
  CHECK(at_limit->body == PatternBytes(1000));

  // Content-Length over the limit: refused from the header alone.
  auto over = client->Send(Get("/bytes/1001"));
  REQUIRE_FALSE(over.ok());
  INFO(over.error().ToString());
  CHECK(over.error().code() == Status::Code::kIoError);
  CHECK(Contains(over.error().message(), "1000 bytes"));
  CHECK(Contains(over.error().message(), "max_response_body"));

  // Chunked, so the size shows only while reading.
  auto chunked = client->Send(Get("/chunked/5000"));
  REQUIRE_FALSE(chunked.ok());
  INFO(chunked.error().ToString());
  CHECK(chunked.error().code() == Status::Code::kIoError);
  CHECK(Contains(chunked.error().message(), "max_response_body"));

  // The client recovers on a new connection.
  auto after = client->Send(Get("/hello"));
  REQUIRE(after.ok());
  CHECK(after->body == "hello, world");
}

TEST_CASE("HttpsClient: a server that never answers times out within the configured timeout",
          "[integration][net]") {
  Pki pki = MakePki();
  auto server = StartServer(pki);
  HttpsClientOptions o = ClientOptions(pki, *server);
  o.timeout = milliseconds(300);
  auto client = MakeClient(o);

  auto start = std::chrono::steady_clock::now();
  auto r = client->Send(Get("/hang"));
  auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(r.ok());
  INFO(r.error().ToString());
  CHECK(r.error().code() == Status::Code::kUnavailable);
  CHECK(r.error().retryable());
  CHECK(Contains(r.error().message(), "timed out after 300 ms"));
  CHECK(Contains(r.error().message(), "127.0.0.1:" + std::to_string(server->port())));
  CHECK(elapsed >= milliseconds(250));
  CHECK(elapsed < milliseconds(2000));
  // A timeout is not a stale connection: no silent resend.
  CHECK(server->requests_served() == 1);

  auto next = client->Send(Get("/hello"));
  INFO(next.status().ToString());
  REQUIRE(next.ok());
  CHECK(server->connections_accepted() == 2);
}

TEST_CASE("HttpsClient: after the server drops an idle connection the next Send reconnects once",
          "[integration][net]") {
  Pki pki = MakePki();
  auto server = StartServer(pki);
  auto client = MakeClient(ClientOptions(pki, *server));

  auto first = client->Send(Get("/close-after"));
  INFO(first.status().ToString());
  REQUIRE(first.ok());
  CHECK(first->body == "bye");
  REQUIRE(server->WaitForClosed(1, milliseconds(2000)));

  HttpsRequest post;
  post.method = "POST";
  post.target = "/echo";
  post.body = "resent";
  auto second = client->Send(post);
  INFO(second.status().ToString());
  REQUIRE(second.ok());
  CHECK(second->body == "resent");
  CHECK(server->connections_accepted() == 2);
  CHECK(server->requests_served() == 2);  // the resent request was served exactly once
}

TEST_CASE("HttpsClient: connecting to a port nobody listens on is Unavailable naming it",
          "[integration][net]") {
  Pki pki = MakePki();
  HttpsClientOptions o;
  o.endpoint = {"127.0.0.1", UnusedPort()};
  o.ca_pem = pki.ca.cert_pem;
  o.timeout = milliseconds(2000);
  auto r = MakeClient(o)->Send(Get("/hello"));
  REQUIRE_FALSE(r.ok());
  INFO(r.error().ToString());
  CHECK(r.error().retryable());
  CHECK(Contains(r.error().message(), "connect to 127.0.0.1:" + std::to_string(o.endpoint.port)));
}

TEST_CASE("HttpsClient: SendStreaming hands a chunked 5 MiB body over in pieces",
          "[integration][net]") {
  Pki pki = MakePki();
  auto server = StartServer(pki);
  HttpsClientOptions o = ClientOptions(pki, *server);
  o.max_response_body = 1024;  // applies to Send only; a stream is bounded by its sink
  auto client = MakeClient(o);
  constexpr std::size_t kSize = 5u << 20;

  std::string received;
  int pieces = 0;
  auto sink = [&](std::string_view piece) {
    ++pieces;
    received.append(piece);
    return Status::Ok();
  };
  auto r = client->SendStreaming(Get("/chunked/" + std::to_string(kSize)), sink);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(r->body.empty());
  CHECK(r->headers.at("transfer-encoding") == "chunked");
  CHECK(pieces > 1);
  REQUIRE(received.size() == kSize);
  CHECK(received == PatternBytes(kSize));

  // Content-Length framing works the same way, on the same connection.
  received.clear();
  pieces = 0;
  auto sized = client->SendStreaming(Get("/bytes/300000"), sink);
  INFO(sized.status().ToString());
  REQUIRE(sized.ok());
  CHECK(pieces > 1);
  CHECK(received == PatternBytes(300000));
  CHECK(server->connections_accepted() == 1);
}

TEST_CASE("HttpsClient: an error from the body sink aborts the download and is returned",
          "[integration][net]") {
  Pki pki = MakePki();
  auto server = StartServer(pki);
  auto client = MakeClient(ClientOptions(pki, *server));
  std::size_t seen = 0;
  auto r = client->SendStreaming(Get("/chunked/2000000"), [&](std::string_view piece) {
    seen += piece.size();
    return seen > 100000 ? Status::Cancelled("disk full (test)") : Status::Ok();
  });
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code() == Status::Code::kCancelled);
  CHECK(r.error().message() == "disk full (test)");
  CHECK(seen < 2000000);
  REQUIRE(server->WaitForClosed(1, milliseconds(2000)));  // the connection was closed

  auto next = client->Send(Get("/hello"));
  REQUIRE(next.ok());
  CHECK(server->connections_accepted() == 2);
}

TEST_CASE("HttpsClient: a server requiring a client certificate refuses without one",
          "[integration][net]") {
  Pki pki = MakePki();
  auto server = StartServer(
      TlsTestServerOptions{pki.server.cert_pem, pki.server.key_pem, pki.ca.cert_pem, false});

  SECTION("without a client certificate: PermissionDenied") {
    auto r = MakeClient(ClientOptions(pki, *server))->Send(Get("/whoami"));
    REQUIRE_FALSE(r.ok());
    INFO(r.error().ToString());
    CHECK(r.error().IsPermissionDenied());
    CHECK(Contains(r.error().message(), "client"));
    CHECK(server->requests_served() == 0);
  }
  SECTION("with a certificate from another CA: PermissionDenied") {
    auto other_ca = MakeTestCa("Unrelated CA");
    REQUIRE(other_ca.ok());
    auto stranger = IssueTestCert(*other_ca, {"stranger", {}, {}, true});
    REQUIRE(stranger.ok());
    HttpsClientOptions o = ClientOptions(pki, *server);
    o.client_cert_pem = stranger->cert_pem;
    o.client_key_pem = stranger->key_pem;
    auto r = MakeClient(o)->Send(Get("/whoami"));
    REQUIRE_FALSE(r.ok());
    INFO(r.error().ToString());
    CHECK(r.error().IsPermissionDenied());
    CHECK(server->requests_served() == 0);
  }
  SECTION("with the client certificate: accepted, and the server sees who it is") {
    HttpsClientOptions o = ClientOptions(pki, *server);
    o.client_cert_pem = pki.client.cert_pem;
    o.client_key_pem = pki.client.key_pem;
    auto r = MakeClient(o)->Send(Get("/whoami"));
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    CHECK(r->body == "agent-1");
  }
}

TEST_CASE("HttpsClient: works against a TLS 1.2-only server", "[integration][net]") {
  Pki pki = MakePki();
  auto server = StartServer(
      TlsTestServerOptions{pki.server.cert_pem, pki.server.key_pem, pki.ca.cert_pem, true});
  HttpsClientOptions o = ClientOptions(pki, *server);
  o.client_cert_pem = pki.client.cert_pem;
  o.client_key_pem = pki.client.key_pem;
  auto r = MakeClient(o)->Send(Get("/whoami"));
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  CHECK(r->body == "agent-1");

  // TLS 1.2 fails a missing client certificate inside the handshake, with a
  // generic alert; the client still says what is missing.
  auto anonymous = MakeClient(ClientOptions(pki, *server))->Send(Get("/whoami"));
  REQUIRE_FALSE(anonymous.ok());
  INFO(anonymous.error().ToString());
  CHECK(anonymous.error().IsPermissionDenied());
  CHECK(Contains(anonymous.error().message(), "requires a client certificate"));
  CHECK(server->requests_served() == 1);
}

TEST_CASE("HttpsClient: Create refuses incomplete or inconsistent options", "[unit][net]") {
  Pki pki = MakePki();
  HttpsClientOptions good;
  good.endpoint = {"127.0.0.1", 8443};
  good.ca_pem = pki.ca.cert_pem;
  REQUIRE(HttpsClient::Create(good).ok());

  auto no_ca = good;
  no_ca.ca_pem.clear();
  CHECK(HttpsClient::Create(no_ca).status().IsInvalidArgument());

  auto junk_ca = good;
  junk_ca.ca_pem = "not a certificate";
  auto junk = HttpsClient::Create(junk_ca);
  REQUIRE_FALSE(junk.ok());
  CHECK(junk.error().IsInvalidArgument());
  CHECK(Contains(junk.error().message(), "no PEM certificate"));

  auto cert_only = good;
  cert_only.client_cert_pem = pki.client.cert_pem;
  CHECK(HttpsClient::Create(cert_only).status().IsInvalidArgument());

  auto mismatched = good;
  mismatched.client_cert_pem = pki.client.cert_pem;
  mismatched.client_key_pem = pki.server.key_pem;
  auto m = HttpsClient::Create(mismatched);
  REQUIRE_FALSE(m.ok());
  CHECK(Contains(m.error().message(), "does not match"));

  auto no_port = good;
  no_port.endpoint.port = 0;
  CHECK(HttpsClient::Create(no_port).status().IsInvalidArgument());

  auto zero_timeout = good;
  zero_timeout.timeout = milliseconds(0);
  CHECK(HttpsClient::Create(zero_timeout).status().IsInvalidArgument());
}

TEST_CASE("HttpsClient: a malformed request is refused before anything is sent", "[unit][net]") {
  Pki pki = MakePki();
  HttpsClientOptions o;
  o.endpoint = {"127.0.0.1", UnusedPort()};  // a connection attempt would fail differently
  o.ca_pem = pki.ca.cert_pem;
  auto client = MakeClient(o);

  CHECK(client->Send(Get("no-slash")).status().IsInvalidArgument());
  CHECK(client->Send(Get("/a b")).status().IsInvalidArgument());
  CHECK(client->Send(Get("/a\r\nX-Evil: 1")).status().IsInvalidArgument());
  HttpsRequest bad_method = Get("/");
  bad_method.method = "GE T";
  CHECK(client->Send(bad_method).status().IsInvalidArgument());
  HttpsRequest injected = Get("/");
  injected.headers = {{"X-Ok", "a\r\nX-Evil: 1"}};
  CHECK(client->Send(injected).status().IsInvalidArgument());
  HttpsRequest host = Get("/");
  host.headers = {{"Host", "elsewhere"}};
  CHECK(client->Send(host).status().IsInvalidArgument());
}

}  // namespace
}  // namespace cairn
