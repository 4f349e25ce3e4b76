#include "core/net/websocket_client.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "tests/core/net/test_certs.h"
#include "tests/core/net/websocket_test_server.h"

namespace cairn {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using test::WebSocketTestServer;
using test::WsScript;

struct WsPki {
  test::TestCa ca;
  test::TestCert server;
  test::TestCert client;
};

WsPki MakeWsPki() {
  WsPki pki;
  auto ca = test::MakeTestCa("WebSocket Test CA");
  REQUIRE(ca.ok());
  pki.ca = *ca;
  auto server = test::IssueTestCert(pki.ca, {"apiserver", {"localhost"}, {"127.0.0.1"}, false});
  REQUIRE(server.ok());
  pki.server = *server;
  auto client = test::IssueTestCert(pki.ca, {"node-agent", {}, {}, true});
  REQUIRE(client.ok());
  pki.client = *client;
  return pki;
}

std::unique_ptr<WebSocketTestServer> StartWs(const WsPki& pki, WsScript script) {
  auto server = WebSocketTestServer::Start(pki.server.cert_pem, pki.server.key_pem,
                                           std::move(script));
  INFO(server.status().ToString());
  REQUIRE(server.ok());
  return std::move(*server);
}

WebSocketClientOptions Options(const WsPki& pki, const WebSocketTestServer& server) {
  WebSocketClientOptions o;
  o.endpoint = server.endpoint();
  o.target = "/echo?x=1";
  o.ca_pem = pki.ca.cert_pem;
  o.timeout = milliseconds(5000);
  return o;
}

steady_clock::time_point In(milliseconds ms) { return steady_clock::now() + ms; }

TEST_CASE("WebSocketClient: messages go both ways and the server's close ends the reads",
          "[integration]") {
  WsPki pki = MakeWsPki();
  WsScript script;
  script.subprotocol = "v4.channel.k8s.io";
  script.send = {{true, std::string("\x01hello", 6)}, {false, "text"}};
  script.echo = true;
  auto server = StartWs(pki, script);
  WebSocketClientOptions o = Options(pki, *server);
  o.headers = {{"Authorization", "Bearer abc"}};
  o.subprotocols = {"v5.channel.k8s.io", "v4.channel.k8s.io"};
  auto client = WebSocketClient::Connect(o);
  INFO(client.status().ToString());
  REQUIRE(client.ok());
  CHECK((*client)->subprotocol() == "v4.channel.k8s.io");

  auto first = (*client)->Read(In(milliseconds(5000)));
  REQUIRE(first.ok());
  REQUIRE(first->has_value());
  CHECK((*first)->binary);
  CHECK((*first)->data == std::string("\x01hello", 6));
  auto second = (*client)->Read(In(milliseconds(5000)));
  REQUIRE(second.ok());
  REQUIRE(second->has_value());
  CHECK_FALSE((*second)->binary);
  CHECK((*second)->data == "text");

  REQUIRE((*client)->Write("ping-me", true).ok());
  auto echoed = (*client)->Read(In(milliseconds(5000)));
  REQUIRE(echoed.ok());
  REQUIRE(echoed->has_value());
  CHECK((*echoed)->data == "ping-me");
  (*client)->Close();
  REQUIRE(server->WaitForFinished(1, milliseconds(5000)));
  test::WsSeen seen = server->seen();
  CHECK(seen.target == "/echo?x=1");
  CHECK(seen.authorization == "Bearer abc");
  CHECK(seen.offered_subprotocols == "v5.channel.k8s.io, v4.channel.k8s.io");
  CHECK(seen.received == std::vector<std::string>{"ping-me"});
}

TEST_CASE("WebSocketClient: a server close is a clean end of messages with its reason",
          "[integration]") {
  WsPki pki = MakeWsPki();
  WsScript script;
  script.send = {{true, "only"}};
  auto server = StartWs(pki, script);
  auto client = WebSocketClient::Connect(Options(pki, *server));
  REQUIRE(client.ok());
  auto msg = (*client)->Read(In(milliseconds(5000)));
  REQUIRE(msg.ok());
  REQUIRE(msg->has_value());
  auto end = (*client)->Read(In(milliseconds(5000)));
  INFO(end.status().ToString());
  REQUIRE(end.ok());
  CHECK_FALSE(end->has_value());
  CHECK((*client)->close_reason().rfind("1000", 0) == 0);
}

TEST_CASE("WebSocketClient: the client certificate is offered when configured",
          "[integration]") {
  WsPki pki = MakeWsPki();
  WsScript script;
  script.client_ca_pem = pki.ca.cert_pem;
  auto server = StartWs(pki, script);
  WebSocketClientOptions o = Options(pki, *server);
  SECTION("without one the TLS handshake fails") {
    auto client = WebSocketClient::Connect(o);
    REQUIRE_FALSE(client.ok());
  }
  SECTION("with one the server sees its name") {
    o.client_cert_pem = pki.client.cert_pem;
    o.client_key_pem = pki.client.key_pem;
    auto client = WebSocketClient::Connect(o);
    INFO(client.status().ToString());
    REQUIRE(client.ok());
    (*client)->Close();
    CHECK(server->seen().client_cn == "node-agent");
  }
}

TEST_CASE("WebSocketClient: a refused upgrade says the HTTP status and the server's words",
          "[integration]") {
  WsPki pki = MakeWsPki();
  WsScript script;
  script.refuse_status = 403;
  script.refuse_body = R"({"kind":"Status","message":"pods \"p\" is forbidden"})";
  auto server = StartWs(pki, script);
  auto client = WebSocketClient::Connect(Options(pki, *server));
  REQUIRE_FALSE(client.ok());
  CHECK(client.error().IsPermissionDenied());
  CHECK_THAT(client.error().message(), Catch::Contains("HTTP 403"));
  CHECK_THAT(client.error().message(), Catch::Contains("is forbidden"));
}

TEST_CASE("WebSocketClient: a server certificate from another CA is PermissionDenied",
          "[integration]") {
  WsPki pki = MakeWsPki();
  WsPki other = MakeWsPki();
  auto server = StartWs(pki, WsScript{});
  WebSocketClientOptions o = Options(pki, *server);
  o.ca_pem = other.ca.cert_pem;
  auto client = WebSocketClient::Connect(o);
  REQUIRE_FALSE(client.ok());
  CHECK(client.error().IsPermissionDenied());
}

TEST_CASE("WebSocketClient: a message over the limit fails the read, naming the limit",
          "[integration]") {
  WsPki pki = MakeWsPki();
  WsScript script;
  script.send = {{true, std::string(4096, 'x')}};
  auto server = StartWs(pki, script);
  WebSocketClientOptions o = Options(pki, *server);
  o.max_message_bytes = 1024;
  auto client = WebSocketClient::Connect(o);
  REQUIRE(client.ok());
  auto msg = (*client)->Read(In(milliseconds(5000)));
  REQUIRE_FALSE(msg.ok());
  CHECK_THAT(msg.error().message(), Catch::Contains("1024 bytes"));
  CHECK_FALSE((*client)->Read(In(milliseconds(100))).ok());  // the connection is gone
}

TEST_CASE("WebSocketClient: a silent server times out at the read deadline", "[integration]") {
  WsPki pki = MakeWsPki();
  WsScript script;
  script.hang = true;
  auto server = StartWs(pki, script);
  auto client = WebSocketClient::Connect(Options(pki, *server));
  REQUIRE(client.ok());
  auto start = steady_clock::now();
  auto msg = (*client)->Read(In(milliseconds(300)));
  auto took = steady_clock::now() - start;
  REQUIRE_FALSE(msg.ok());
  CHECK(msg.error().retryable());
  CHECK_THAT(msg.error().message(), Catch::Contains("deadline"));
  CHECK(took < milliseconds(3000));
}

TEST_CASE("WebSocketClient: headers the handshake owns and a bad target are refused up front",
          "[unit]") {
  WebSocketClientOptions o;
  o.endpoint = HttpsEndpoint{"127.0.0.1", 1};
  o.ca_pem = "x";
  o.target = "/ok";
  o.headers = {{"Sec-WebSocket-Key", "x"}};
  auto a = WebSocketClient::Connect(o);
  REQUIRE_FALSE(a.ok());
  CHECK(a.error().IsInvalidArgument());
  o.headers.clear();
  o.target = "no-slash";
  auto b = WebSocketClient::Connect(o);
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().IsInvalidArgument());
}

}  // namespace
}  // namespace cairn
