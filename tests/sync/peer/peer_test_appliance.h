// An appliance "B" for the replication-peer tests, made of the daemon's own
// parts: the real ingest routes (mTLS, client certificate optional, as the
// daemon's listener) and admin routes, each on a real HttpServer over TLS on
// 127.0.0.1 port 0, its state directory (and so replicas/) in a temp dir.
// Also the clients the tests need beside the real ones: a raw mTLS client
// holding a peer's or an agent's certificate, and an admin token.
// Header-only (the test program globs *_test.cc). Not thread-safe; stops and
// joins everything in its destructor.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "appliance/daemon/admin_api.h"
#include "appliance/daemon/appliance_core.h"
#include "appliance/daemon/ingest_api.h"
#include "appliance/server/http_server.h"
#include "core/net/https_client.h"
#include "core/pki/csr.h"
#include "sync/peer/peer_credentials.h"
#include "tests/appliance/daemon/test_appliance_core.h"
#include "tests/support/temp_dir.h"

namespace cairn::test {

struct PeerTestAppliance {
  TempDir dir{"cairn-peer-b"};
  std::unique_ptr<ApplianceCore> core;
  asio::io_context io{1};
  asio::thread_pool workers{2};
  Router ingest_router;
  Router admin_router;
  std::unique_ptr<HttpServer> ingest;
  std::unique_ptr<HttpServer> admin;
  std::thread io_thread;
  std::uint16_t ingest_port = 0;
  std::uint16_t admin_port = 0;
  std::string admin_token;  // role admin

  explicit PeerTestAppliance(ApplianceConfig config = {}) {
    core = MakeTestApplianceCore(dir.path(), std::move(config));
    AddIngestRoutes(ingest_router, services());
    AddAdminRoutes(admin_router, services());
    ingest = std::make_unique<HttpServer>(io, workers, ingest_router,
                                          TestListenerOptions(services().ca, "ingest", true));
    auto p = ingest->Start();
    REQUIRE(p.ok());
    ingest_port = *p;
    admin = std::make_unique<HttpServer>(io, workers, admin_router,
                                         TestListenerOptions(services().ca, "admin", false));
    auto q = admin->Start();
    REQUIRE(q.ok());
    admin_port = *q;
    auto token = services().registry.CreateApiToken("test admin", Role::kAdmin);
    REQUIRE(token.ok());
    admin_token = token->second;
    io_thread = std::thread([this] { io.run(); });
  }
  ~PeerTestAppliance() {
    ingest->Stop(std::chrono::milliseconds(2000));
    admin->Stop(std::chrono::milliseconds(2000));
    io.stop();
    io_thread.join();
    workers.join();
  }
  PeerTestAppliance(const PeerTestAppliance&) = delete;
  PeerTestAppliance& operator=(const PeerTestAppliance&) = delete;

  ApplianceServices& services() { return core->services(); }
  std::string IngestUrl() const { return "https://127.0.0.1:" + std::to_string(ingest_port); }
  std::string AdminUrl() const { return "https://127.0.0.1:" + std::to_string(admin_port); }
  std::filesystem::path Replicas() const { return dir.path() / "replicas"; }

  std::string PairingToken(const std::string& name,
                           std::chrono::seconds ttl = std::chrono::hours(1)) {
    auto t = services().registry.CreatePairingToken(name, ttl, services().ca.sha256_hex(), "test");
    INFO(t.status().ToString());
    REQUIRE(t.ok());
    return t->text;
  }

  // The only registered peer's id (tests pair one at a time).
  std::string OnlyPeerId() {
    auto peers = services().registry.ListPeers();
    REQUIRE(peers.ok());
    REQUIRE(peers->size() == 1);
    return peers->front().id;
  }

  // An mTLS client to the ingest listener with this certificate and key.
  std::unique_ptr<HttpsClient> Client(const std::string& cert_pem, const std::string& key_pem) {
    HttpsClientOptions options;
    auto endpoint = ParseHttpsUrl(IngestUrl());
    REQUIRE(endpoint.ok());
    options.endpoint = *endpoint;
    options.ca_pem = services().ca.cert_pem();
    options.client_cert_pem = cert_pem;
    options.client_key_pem = key_pem;
    options.timeout = std::chrono::milliseconds(10000);
    auto client = HttpsClient::Create(std::move(options));
    REQUIRE(client.ok());
    return std::move(*client);
  }

  // A client of the admin listener (no client certificate).
  std::unique_ptr<HttpsClient> AdminClient() {
    HttpsClientOptions options;
    auto endpoint = ParseHttpsUrl(AdminUrl());
    REQUIRE(endpoint.ok());
    options.endpoint = *endpoint;
    options.ca_pem = services().ca.cert_pem();
    auto client = HttpsClient::Create(std::move(options));
    REQUIRE(client.ok());
    return std::move(*client);
  }

  // A client holding a paired peer's credentials.
  std::unique_ptr<HttpsClient> PeerClient(const std::filesystem::path& credentials_dir) {
    auto c = LoadPeerCredentials(credentials_dir);
    REQUIRE(c.ok());
    return Client(c->cert_pem, c->key_pem);
  }

  // An enrolled agent of cluster "edge", made as enrollment makes one.
  std::unique_ptr<HttpsClient> AgentClient() {
    auto t = services().registry.CreateEnrollmentToken("edge", std::chrono::hours(1),
                                                       services().ca.sha256_hex(), "test");
    REQUIRE(t.ok());
    REQUIRE(services().registry.RedeemEnrollmentToken(t->text, "edge", "ag-test").ok());
    auto key = pki::GenerateKeyAndCsr("agent");
    REQUIRE(key.ok());
    auto cert = services().ca.SignClientCsr(key->csr_pem, "ag-test", "edge", std::chrono::hours(1));
    REQUIRE(cert.ok());
    Registry::AgentRecord agent;
    agent.id = "ag-test";
    agent.cluster = "edge";
    agent.common_name = "ag-test";
    agent.cert_serial = cert->serial_hex;
    agent.cert_sha256 = cert->sha256_hex;
    agent.cert_not_after_unix = cert->not_after_unix;
    REQUIRE(services().registry.RegisterAgent(agent).ok());
    return Client(cert->cert_pem, key->key_pem);
  }
};

// One request; REQUIREs that the transport worked (the answer may be any
// status). `bearer`, when given, is sent as the API token.
inline HttpsResponse Send(HttpsClient& client, const std::string& method, const std::string& target,
                          const std::string& body = "", const std::string& bearer = "") {
  HttpsRequest spec;
  spec.method = method;
  spec.target = target;
  spec.body = body;
  if (!body.empty()) spec.content_type = "application/octet-stream";
  if (!bearer.empty()) spec.headers.push_back({"Authorization", "Bearer " + bearer});
  auto r = client.Send(spec);
  INFO(method << " " << target << ": " << r.status().ToString());
  REQUIRE(r.ok());
  return std::move(*r);
}

}  // namespace cairn::test
