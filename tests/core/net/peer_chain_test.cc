#include "core/net/peer_chain.h"

#include <catch2/catch.hpp>
#include <chrono>

#include "core/net/asio.h"
#include "tests/core/net/test_certs.h"
#include "tests/core/net/tls_test_server.h"

namespace cairn {
namespace {

using std::chrono::milliseconds;
using test::IssueTestCert;
using test::MakeTestCa;
using test::TlsTestServer;
using test::TlsTestServerOptions;

std::unique_ptr<TlsTestServer> StartServer(const TlsTestServerOptions& options) {
  auto server = TlsTestServer::Start(options);
  INFO(server.status().ToString());
  REQUIRE(server.ok());
  return std::move(*server);
}

TEST_CASE("FetchPeerCertificateChain: returns the chain as sent, leaf first, trusting nothing",
          "[integration][net]") {
  // The client is given no CA at all, and the server name does not match:
  // an unverified fetch must still see the chain.
  auto ca = MakeTestCa("Pinned Appliance CA");
  REQUIRE(ca.ok());
  auto leaf = IssueTestCert(*ca, {"appliance", {"elsewhere.example"}, {}, false});
  REQUIRE(leaf.ok());
  auto server = StartServer({leaf->cert_pem + ca->cert_pem, leaf->key_pem, "", false});

  auto chain = FetchPeerCertificateChain(server->endpoint(), milliseconds(3000));
  INFO(chain.status().ToString());
  REQUIRE(chain.ok());
  REQUIRE(chain->size() == 2);
  CHECK((*chain)[0] == leaf->cert_pem);
  CHECK((*chain)[1] == ca->cert_pem);
  CHECK(server->handshakes_completed() == 1);
  CHECK(server->requests_served() == 0);  // no HTTP request is sent
}

TEST_CASE("FetchPeerCertificateChain: a server sending only its leaf yields one certificate",
          "[integration][net]") {
  auto ca = MakeTestCa("Cairn Test CA");
  REQUIRE(ca.ok());
  auto leaf = IssueTestCert(*ca, {"appliance", {}, {"127.0.0.1"}, false});
  REQUIRE(leaf.ok());
  auto server = StartServer({leaf->cert_pem, leaf->key_pem, "", false});
  auto chain = FetchPeerCertificateChain(server->endpoint(), milliseconds(3000));
  INFO(chain.status().ToString());
  REQUIRE(chain.ok());
  REQUIRE(chain->size() == 1);
  CHECK((*chain)[0] == leaf->cert_pem);
}

TEST_CASE("FetchPeerCertificateChain: no server is Unavailable naming host:port",
          "[integration][net]") {
  std::uint16_t port = 0;
  {
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = acceptor.local_endpoint().port();
  }
  auto chain = FetchPeerCertificateChain({"127.0.0.1", port}, milliseconds(2000));
  REQUIRE_FALSE(chain.ok());
  INFO(chain.error().ToString());
  CHECK(chain.error().retryable());
  CHECK(chain.error().message().find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
  CHECK(
      FetchPeerCertificateChain({"127.0.0.1", port}, milliseconds(0)).status().IsInvalidArgument());
}

}  // namespace
}  // namespace cairn
