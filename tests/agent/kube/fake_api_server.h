// Test fixtures for the Kubernetes client: a PKI made with core/pki (CA,
// server certificate for 127.0.0.1 and "kube.test", a client certificate),
// a canned-answer API server over real TLS on 127.0.0.1:0 (appliance/server's
// HttpServer + Router, run by tests/appliance/server's TestServer), and
// client options that never really sleep. Header-only: the test program
// globs *_test.cc. Build on the test thread; handlers run on the server's
// pool, so anything they share with the test is atomic or locked.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/kube/kube_client.h"
#include "appliance/server/http_server.h"
#include "core/pki/certificate_authority.h"
#include "core/pki/csr.h"
#include "tests/appliance/server/test_server.h"

namespace cairn::kube::test {

struct KubePki {
  std::string ca_pem;
  std::string server_cert_pem;
  std::string server_key_pem;
  std::string client_cert_pem;
  std::string client_key_pem;

  KubePki() {
    auto ca_material = pki::CreateCertificateAuthority("Kube Test CA", std::chrono::hours(24));
    REQUIRE(ca_material.ok());
    auto ca = pki::CertificateAuthority::Load(ca_material->cert_pem, ca_material->key_pem);
    REQUIRE(ca.ok());
    ca_pem = ca->cert_pem();
    auto server = ca->IssueServerCertificate("kube-apiserver", {"kube.test"}, {"127.0.0.1"},
                                             std::chrono::hours(24));
    REQUIRE(server.ok());
    server_cert_pem = server->cert_pem;
    server_key_pem = server->key_pem;
    auto csr = pki::GenerateKeyAndCsr("cairn-agent");
    REQUIRE(csr.ok());
    auto client = ca->SignClientCsr(csr->csr_pem, "cairn-agent", "system:masters",
                                    std::chrono::hours(24));
    REQUIRE(client.ok());
    client_cert_pem = client->cert_pem;
    client_key_pem = csr->key_pem;
  }
};

// One PKI for the whole program: key generation is the slow part.
inline const KubePki& SharedPki() {
  static const KubePki pki;
  return pki;
}

inline ListenerOptions KubeListener(ClientAuth auth = ClientAuth::kNone) {
  const KubePki& pki = SharedPki();
  ListenerOptions o;
  o.name = "kube-test";
  o.address = "127.0.0.1";
  o.port = 0;
  o.cert_chain_pem = pki.server_cert_pem;
  o.key_pem = pki.server_key_pem;
  o.client_auth = auth;
  if (auth != ClientAuth::kNone) o.client_ca_pem = pki.ca_pem;
  return o;
}

// A Kubernetes Status object, as the API server sends with errors.
inline HttpResponse StatusResponse(unsigned code, const std::string& reason,
                                   const std::string& message) {
  return JsonResponse(code, {{"kind", "Status"},
                             {"apiVersion", "v1"},
                             {"metadata", nlohmann::json::object()},
                             {"status", "Failure"},
                             {"message", message},
                             {"reason", reason},
                             {"code", code}});
}

// What the client slept, instead of sleeping (rate limiter and backoff).
struct SleepLog {
  std::vector<std::chrono::nanoseconds> sleeps;
  std::chrono::nanoseconds total() const {
    std::chrono::nanoseconds t{0};
    for (auto s : sleeps) t += s;
    return t;
  }
};

// Client options for a server on 127.0.0.1:port: the test CA, a bearer
// token, generous rate limits, small backoffs, and sleeps recorded into
// `log` (never slept).
inline KubeClientOptions ClientOptions(std::uint16_t port, SleepLog* log,
                                       const std::string& path_prefix = "") {
  KubeClientOptions o;
  o.config.server = "https://127.0.0.1:" + std::to_string(port) + path_prefix;
  o.config.ca_pem = SharedPki().ca_pem;
  o.config.bearer_token = "test-token";
  o.config.source = "test";
  o.qps = 1e6;
  o.burst = 1000000;
  o.max_retries = 3;
  o.initial_backoff = std::chrono::milliseconds(100);
  o.max_backoff = std::chrono::milliseconds(5000);
  o.timeout = std::chrono::milliseconds(5000);
  o.sleep = [log](std::chrono::nanoseconds d) {
    if (log != nullptr) log->sleeps.push_back(d);
  };
  return o;
}

inline std::unique_ptr<KubeClient> MakeClient(KubeClientOptions options) {
  auto client = KubeClient::Create(std::move(options));
  INFO(client.status().ToString());
  REQUIRE(client.ok());
  return std::move(*client);
}

}  // namespace cairn::kube::test
