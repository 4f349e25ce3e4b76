// Client certificates over real TLS: kRequired refuses no certificate and a
// foreign CA's, and hands the verified identity to handlers; kOptional lets
// certificate-less clients in without an identity.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "appliance/server/http_server.h"
#include "tests/appliance/server/test_client.h"
#include "tests/appliance/server/test_server.h"

namespace cairn {
namespace {

using test::ClientResponse;
using test::TestTlsClient;

Router WhoAmIRouter() {
  Router router;
  router.Add(http::verb::get, "/whoami", [](HttpRequest& req) {
    return JsonResponse(200, {{"has_certificate", req.peer.has_certificate},
                              {"cn", req.peer.common_name},
                              {"o", req.peer.organization},
                              {"serial", req.peer.serial_hex},
                              {"sha256", req.peer.sha256_hex}});
  });
  return router;
}

const char kWhoAmI[] = "GET /whoami HTTP/1.1\r\nHost: x\r\n\r\n";

// Connects and asks; with TLS 1.3 the client's handshake can "succeed" before
// the server has checked the client certificate, so a refusal may show as a
// failed handshake or as the connection ending without an answer.
bool GetsAnAnswer(TestTlsClient& client, std::uint16_t port, std::string* how) {
  if (!client.Connect(port, how)) return false;
  ClientResponse r = client.Request(kWhoAmI);
  *how = r.error;
  return r.complete;
}

TEST_CASE("HttpServer: ClientAuth::kRequired refuses clients without a certificate from its CA",
          "[integration][server]") {
  test::TestPki pki;
  test::TestServer srv(WhoAmIRouter(), test::TestListener(pki, ClientAuth::kRequired));
  std::string how;

  SECTION("no client certificate") {
    TestTlsClient client(pki.ca.cert_pem());
    bool answered = GetsAnAnswer(client, srv.port(), &how);
    INFO(how);
    CHECK_FALSE(answered);
  }
  SECTION("a certificate from another CA, same subject") {
    TestTlsClient client(pki.ca.cert_pem(), &pki.stranger);
    bool answered = GetsAnAnswer(client, srv.port(), &how);
    INFO(how);
    CHECK_FALSE(answered);
  }
  CHECK(test::WaitFor([&] { return srv.stats().tls_handshake_failures == 1; }));
  CHECK(srv.stats().requests_total == 0);
}

TEST_CASE("HttpServer: with a valid client certificate the handler sees its PeerIdentity",
          "[integration][server]") {
  test::TestPki pki;
  test::TestServer srv(WhoAmIRouter(), test::TestListener(pki, ClientAuth::kRequired));
  TestTlsClient client(pki.ca.cert_pem(), &pki.client);
  std::string error;
  REQUIRE(client.Connect(srv.port(), &error));
  ClientResponse r = client.Request(kWhoAmI);
  REQUIRE(r.complete);
  REQUIRE(r.status == 200);
  nlohmann::json j = nlohmann::json::parse(r.body);
  CHECK(j["has_certificate"] == true);
  CHECK(j["cn"] == "agent-7f3a");
  CHECK(j["o"] == "cluster-east");
  CHECK(j["serial"] == "a51c0ffee42");
  CHECK(j["sha256"] == pki.client.sha256_hex);
  CHECK(srv.stats().tls_handshake_failures == 0);
}

TEST_CASE("HttpServer: ClientAuth::kOptional admits clients without a certificate, anonymously",
          "[integration][server]") {
  test::TestPki pki;
  test::TestServer srv(WhoAmIRouter(), test::TestListener(pki, ClientAuth::kOptional));

  TestTlsClient anonymous(pki.ca.cert_pem());
  REQUIRE(anonymous.Connect(srv.port()));
  ClientResponse r = anonymous.Request(kWhoAmI);
  REQUIRE(r.complete);
  CHECK(r.status == 200);
  nlohmann::json j = nlohmann::json::parse(r.body);
  CHECK(j["has_certificate"] == false);
  CHECK(j["cn"] == "");

  TestTlsClient known(pki.ca.cert_pem(), &pki.client);
  REQUIRE(known.Connect(srv.port()));
  ClientResponse k = known.Request(kWhoAmI);
  REQUIRE(k.complete);
  CHECK(nlohmann::json::parse(k.body)["cn"] == "agent-7f3a");

  // Sent but not from the CA: refused even though a certificate is optional.
  TestTlsClient stranger(pki.ca.cert_pem(), &pki.stranger);
  std::string how;
  CHECK_FALSE(GetsAnAnswer(stranger, srv.port(), &how));
}

TEST_CASE("HttpServer: ClientAuth::kNone never asks, so a client certificate is not an identity",
          "[integration][server]") {
  test::TestPki pki;
  test::TestServer srv(WhoAmIRouter(), test::TestListener(pki, ClientAuth::kNone));
  TestTlsClient client(pki.ca.cert_pem(), &pki.client);
  REQUIRE(client.Connect(srv.port()));
  ClientResponse r = client.Request(kWhoAmI);
  REQUIRE(r.complete);
  CHECK(nlohmann::json::parse(r.body)["has_certificate"] == false);
}

}  // namespace
}  // namespace cairn
