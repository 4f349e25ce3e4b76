// KubeClient against a canned API server over real TLS: retries (429 with
// Retry-After, 503, refused connections), Status objects mapped to codes with
// the server's message kept, bearer and client-certificate authentication,
// the server URL's path prefix, tls_server_name, and the body limit.
#include <atomic>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "agent/kube/kube_client.h"
#include "tests/agent/kube/fake_api_server.h"

namespace cairn::kube {
namespace {

using nlohmann::json;
using test::ClientOptions;
using test::MakeClient;
using test::SleepLog;
using test::StatusResponse;
using namespace std::chrono_literals;

TEST_CASE("KubeClient: a 429 with Retry-After is retried after the server's delay, then succeeds",
          "[integration]") {
  auto calls = std::make_shared<std::atomic<int>>(0);
  Router router;
  router.Add(http::verb::get, "/api/v1/namespaces", [calls](HttpRequest&) {
    if (++*calls <= 2) {
      HttpResponse r = StatusResponse(429, "TooManyRequests", "slow down");
      r.headers.emplace_back("Retry-After", "2");
      return r;
    }
    return JsonResponse(200, {{"kind", "NamespaceList"}, {"items", json::array()}});
  });
  cairn::test::TestServer srv(std::move(router), test::KubeListener());
  SleepLog log;
  auto client = MakeClient(ClientOptions(srv.port(), &log));

  auto list = client->Get("/api/v1/namespaces");
  INFO(list.status().ToString());
  REQUIRE(list.ok());
  CHECK((*list)["kind"] == "NamespaceList");
  CHECK(*calls == 3);
  CHECK(client->stats().requests == 3);
  CHECK(client->stats().retries == 2);
  CHECK(client->stats().throttled == 2);
  REQUIRE(log.sleeps.size() == 2);
  CHECK(log.sleeps[0] == 2s);
  CHECK(log.sleeps[1] == 2s);
}

TEST_CASE("KubeClient: Retry-After is capped at max_backoff and backoff grows without it",
          "[integration]") {
  auto calls = std::make_shared<std::atomic<int>>(0);
  Router router;
  router.Add(http::verb::get, "/api", [calls](HttpRequest&) {
    int n = ++*calls;
    if (n == 1) {
      HttpResponse r = StatusResponse(429, "TooManyRequests", "slow down");
      r.headers.emplace_back("Retry-After", "3600");
      return r;
    }
    if (n <= 4) return StatusResponse(500, "InternalError", "etcd hiccup");
    return JsonResponse(200, {{"versions", {"v1"}}});
  });
  cairn::test::TestServer srv(std::move(router), test::KubeListener());
  SleepLog log;
  KubeClientOptions options = ClientOptions(srv.port(), &log);
  options.max_retries = 5;
  auto client = MakeClient(std::move(options));

  REQUIRE(client->Get("/api").ok());
  CHECK(*calls == 5);
  REQUIRE(log.sleeps.size() == 4);
  CHECK(log.sleeps[0] == 5000ms);  // capped
  // Exponential with equal jitter: attempt k waits in [step/2, step], step = 100ms * 2^k.
  for (int k = 1; k <= 3; ++k) {
    const auto step = std::chrono::nanoseconds(100ms) * (1 << k);
    INFO("retry " << k);
    CHECK(log.sleeps[k] >= step / 2);
    CHECK(log.sleeps[k] <= step);
  }
}

TEST_CASE("KubeClient: a 503 that never ends comes back as Unavailable after max_retries",
          "[integration]") {
  auto calls = std::make_shared<std::atomic<int>>(0);
  Router router;
  router.Add(http::verb::get, "/apis/metrics.k8s.io/v1beta1", [calls](HttpRequest&) {
    ++*calls;
    return StatusResponse(503, "ServiceUnavailable", "the server is currently unable to handle the request");
  });
  cairn::test::TestServer srv(std::move(router), test::KubeListener());
  SleepLog log;
  auto client = MakeClient(ClientOptions(srv.port(), &log));

  auto doc = client->Get("/apis/metrics.k8s.io/v1beta1");
  REQUIRE_FALSE(doc.ok());
  CHECK(doc.error().code() == Status::Code::kUnavailable);
  CHECK_THAT(doc.error().message(),
             Catch::Contains("GET /apis/metrics.k8s.io/v1beta1: the server is currently unable") &&
                 Catch::Contains("503"));
  CHECK(*calls == 4);  // the first try and 3 retries
  CHECK(client->stats().retries == 3);
  CHECK(log.sleeps.size() == 3);

  // Call itself hands back the last response.
  auto raw = client->Call({"GET", "/apis/metrics.k8s.io/v1beta1", "", ""});
  REQUIRE(raw.ok());
  CHECK(raw->status == 503);
  CHECK(KubeStatusReason(*raw) == "ServiceUnavailable");
}

TEST_CASE("KubeClient: a refused connection is retried, then Unavailable naming the request",
          "[integration]") {
  std::uint16_t port = 0;
  {
    cairn::test::TestServer gone(Router(), test::KubeListener());
    port = gone.port();
  }
  SleepLog log;
  auto client = MakeClient(ClientOptions(port, &log));
  auto doc = client->Get("/api");
  REQUIRE_FALSE(doc.ok());
  CHECK(doc.error().code() == Status::Code::kUnavailable);
  CHECK_THAT(doc.error().message(), Catch::Contains("GET /api") && Catch::Contains("4 attempts"));
  CHECK(client->stats().requests == 4);
  CHECK(log.sleeps.size() == 3);
}

TEST_CASE("KubeClient: 404, 403, 409, 410 and 422 map to codes and keep the server's message",
          "[integration]") {
  Router router;
  router.Add(http::verb::get, "/api/v1/namespaces/x", [](HttpRequest&) {
    return StatusResponse(404, "NotFound", "namespaces \"x\" not found");
  });
  router.Add(http::verb::get, "/api/v1/secrets", [](HttpRequest&) {
    return StatusResponse(403, "Forbidden",
                          "secrets is forbidden: User \"system:serviceaccount:cairn:agent\" "
                          "cannot list resource \"secrets\"");
  });
  router.Add(http::verb::post, "/api/v1/namespaces", [](HttpRequest&) {
    return StatusResponse(409, "AlreadyExists", "namespaces \"prod\" already exists");
  });
  router.Add(http::verb::get, "/api/v1/pods", [](HttpRequest&) {
    return StatusResponse(410, "Expired", "The provided continue parameter is too old");
  });
  router.Add(http::verb::put, "/api/v1/namespaces/prod", [](HttpRequest&) {
    return StatusResponse(422, "Invalid", "Namespace \"prod\" is invalid: metadata.name: Invalid value");
  });
  router.Add(http::verb::get, "/api/v1/nodes", [](HttpRequest&) {
    HttpResponse r;
    r.status = 401;
    r.content_type = "text/plain";
    r.body = "Unauthorized\n";
    return r;
  });
  cairn::test::TestServer srv(std::move(router), test::KubeListener());
  auto client = MakeClient(ClientOptions(srv.port(), nullptr));

  auto not_found = client->Get("/api/v1/namespaces/x");
  REQUIRE_FALSE(not_found.ok());
  CHECK(not_found.error().IsNotFound());
  CHECK(not_found.error().message() == "GET /api/v1/namespaces/x: namespaces \"x\" not found");

  auto forbidden = client->Get("/api/v1/secrets");
  REQUIRE_FALSE(forbidden.ok());
  CHECK(forbidden.error().IsPermissionDenied());
  CHECK_THAT(forbidden.error().message(), Catch::Contains("cannot list resource \"secrets\""));

  auto exists = client->Create("/api/v1/namespaces", {{"metadata", {{"name", "prod"}}}});
  REQUIRE_FALSE(exists.ok());
  CHECK(exists.error().IsAlreadyExists());
  CHECK_THAT(exists.error().message(),
             Catch::StartsWith("POST /api/v1/namespaces: namespaces \"prod\" already exists"));

  auto gone = client->Get("/api/v1/pods");
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.error().IsNotFound());
  CHECK_THAT(gone.error().message(), Catch::Contains("too old") && Catch::Contains("(410 Gone)"));

  auto invalid = client->Replace("/api/v1/namespaces/prod", {{"metadata", {{"name", "prod"}}}});
  REQUIRE_FALSE(invalid.ok());
  CHECK(invalid.error().IsInvalidArgument());
  CHECK_THAT(invalid.error().message(), Catch::Contains("metadata.name: Invalid value"));

  auto unauthorized = client->Get("/api/v1/nodes");
  REQUIRE_FALSE(unauthorized.ok());
  CHECK(unauthorized.error().IsPermissionDenied());
  CHECK_THAT(unauthorized.error().message(), Catch::Contains("Unauthorized") && Catch::Contains("401"));
  CHECK(client->stats().retries == 0);  // none of these is worth retrying
}

TEST_CASE("KubeClient: sends the bearer token, Accept, User-Agent and the server's path prefix",
          "[integration]") {
  auto seen = std::make_shared<std::mutex>();
  auto headers = std::make_shared<std::map<std::string, std::string>>();
  Router router;
  router.Add(http::verb::patch, "/k8s/clusters/c-1/apis/apps/v1/namespaces/a/deployments/web",
             [seen, headers](HttpRequest& req) {
               std::lock_guard lock(*seen);
               for (const char* h : {"Authorization", "Accept", "User-Agent", "Content-Type"}) {
                 (*headers)[h] = req.header(h);
               }
               (*headers)["body"] = req.body;
               return JsonResponse(200, {{"kind", "Deployment"}});
             });
  cairn::test::TestServer srv(std::move(router), test::KubeListener());
  auto client = MakeClient(ClientOptions(srv.port(), nullptr, "/k8s/clusters/c-1/"));

  auto patched = client->Patch("/apis/apps/v1/namespaces/a/deployments/web", PatchType::kMerge,
                               {{"spec", {{"replicas", 2}}}});
  INFO(patched.status().ToString());
  REQUIRE(patched.ok());
  std::lock_guard lock(*seen);
  CHECK((*headers)["Authorization"] == "Bearer test-token");
  CHECK((*headers)["Accept"] == "application/json");
  CHECK((*headers)["User-Agent"] == "cairn-agent/0.1.0");
  CHECK((*headers)["Content-Type"] == "application/merge-patch+json");
  CHECK(json::parse((*headers)["body"]) == json{{"spec", {{"replicas", 2}}}});
}

TEST_CASE("KubeClient: a client certificate authenticates where the server requires one",
          "[integration]") {
  Router router;
  router.Add(http::verb::get, "/whoami", [](HttpRequest& req) {
    return JsonResponse(200, {{"cn", req.peer.common_name},
                              {"o", req.peer.organization},
                              {"authorization", req.header("Authorization")}});
  });
  cairn::test::TestServer srv(std::move(router), test::KubeListener(ClientAuth::kRequired));

  KubeClientOptions options = ClientOptions(srv.port(), nullptr);
  options.config.bearer_token.clear();
  options.config.client_cert_pem = test::SharedPki().client_cert_pem;
  options.config.client_key_pem = test::SharedPki().client_key_pem;
  auto client = MakeClient(options);
  auto who = client->Get("/whoami");
  INFO(who.status().ToString());
  REQUIRE(who.ok());
  CHECK((*who)["cn"] == "cairn-agent");
  CHECK((*who)["o"] == "system:masters");
  CHECK((*who)["authorization"] == "");

  // Without the certificate the handshake is refused: no retry cures that.
  options.config.client_cert_pem.clear();
  options.config.client_key_pem.clear();
  options.max_retries = 0;
  auto anonymous = MakeClient(options);
  CHECK_FALSE(anonymous->Get("/whoami").ok());
}

TEST_CASE("KubeClient: tls_server_name is the name the server certificate is checked against",
          "[integration]") {
  Router router;
  router.Add(http::verb::get, "/version", [](HttpRequest&) {
    return JsonResponse(200, {{"gitVersion", "v1.30.0"}});
  });
  cairn::test::TestServer srv(std::move(router), test::KubeListener());

  KubeClientOptions options = ClientOptions(srv.port(), nullptr);
  options.config.tls_server_name = "kube.test";
  auto named = MakeClient(options);
  CHECK(named->Get("/version").ok());

  options.config.tls_server_name = "other.test";
  auto wrong = MakeClient(options);
  auto refused = wrong->Get("/version");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().IsPermissionDenied());
  CHECK(wrong->stats().requests == 1);  // verification failures are not retried
}

TEST_CASE("KubeClient: a response body over max_response_body is refused, not retried",
          "[integration]") {
  Router router;
  router.Add(http::verb::get, "/api/v1/configmaps", [](HttpRequest&) {
    HttpResponse r;
    r.body = "{\"items\":[\"" + std::string(8192, 'x') + "\"]}";
    return r;
  });
  cairn::test::TestServer srv(std::move(router), test::KubeListener());
  KubeClientOptions options = ClientOptions(srv.port(), nullptr);
  options.max_response_body = 4096;
  auto client = MakeClient(options);
  auto big = client->Get("/api/v1/configmaps");
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().code() == Status::Code::kIoError);
  CHECK_THAT(big.error().message(), Catch::Contains("max_response_body"));
  CHECK(client->stats().requests == 1);
}

TEST_CASE("KubeClient: a 2xx answer that is not JSON is Corruption", "[integration]") {
  Router router;
  router.Add(http::verb::get, "/api", [](HttpRequest&) {
    HttpResponse r;
    r.content_type = "text/html";
    r.body = "<html>proxy login</html>";
    return r;
  });
  cairn::test::TestServer srv(std::move(router), test::KubeListener());
  auto client = MakeClient(ClientOptions(srv.port(), nullptr));
  auto doc = client->Get("/api");
  REQUIRE_FALSE(doc.ok());
  CHECK(doc.error().IsCorruption());
  CHECK_THAT(doc.error().message(), Catch::Contains("proxy login"));
}

TEST_CASE("KubeClient: requests beyond the burst are spaced at qps", "[integration]") {
  Router router;
  router.Add(http::verb::get, "/healthz", [](HttpRequest&) { return JsonResponse(200, {}); });
  cairn::test::TestServer srv(std::move(router), test::KubeListener());
  FakeClock clock;
  SleepLog log;
  KubeClientOptions options = ClientOptions(srv.port(), nullptr);
  options.qps = 10;
  options.burst = 5;
  options.clock = &clock;
  // Sleeping advances the fake clock, as real sleeping would.
  options.sleep = [&](std::chrono::nanoseconds d) {
    log.sleeps.push_back(d);
    clock.Advance(d.count());
  };
  auto client = MakeClient(options);
  for (int i = 0; i < 12; ++i) REQUIRE(client->Get("/healthz").ok());
  // 5 at once, then 7 each 100 ms after the one before.
  REQUIRE(log.sleeps.size() == 7);
  for (auto s : log.sleeps) CHECK(s == 100ms);
  CHECK(client->stats().requests == 12);
}

TEST_CASE("KubeClient::Create refuses bad options and a config without a CA", "[unit]") {
  KubeClientOptions options = ClientOptions(6443, nullptr);
  SECTION("qps") {
    options.qps = 0;
    auto c = KubeClient::Create(options);
    REQUIRE_FALSE(c.ok());
    CHECK_THAT(c.error().message(), Catch::Contains("qps"));
  }
  SECTION("burst") {
    options.burst = 0;
    CHECK_FALSE(KubeClient::Create(options).ok());
  }
  SECTION("no CA") {
    options.config.ca_pem.clear();
    auto c = KubeClient::Create(options);
    REQUIRE_FALSE(c.ok());
    CHECK_THAT(c.error().message(), Catch::Contains("CA"));
  }
  SECTION("http") {
    options.config.server = "http://127.0.0.1:8080";
    auto c = KubeClient::Create(options);
    REQUIRE_FALSE(c.ok());
    CHECK_THAT(c.error().message(), Catch::Contains("http://"));
  }
}

TEST_CASE("KubeStatusError maps codes and quotes a non-Status body", "[unit]") {
  struct Case {
    unsigned status;
    Status::Code code;
  };
  for (Case c : {Case{400, Status::Code::kInvalidArgument}, Case{401, Status::Code::kPermissionDenied},
                 Case{403, Status::Code::kPermissionDenied}, Case{404, Status::Code::kNotFound},
                 Case{405, Status::Code::kInvalidArgument}, Case{409, Status::Code::kAlreadyExists},
                 Case{410, Status::Code::kNotFound}, Case{422, Status::Code::kInvalidArgument},
                 Case{429, Status::Code::kUnavailable}, Case{500, Status::Code::kUnavailable},
                 Case{504, Status::Code::kUnavailable}, Case{302, Status::Code::kIoError}}) {
    KubeResponse r;
    r.status = c.status;
    r.body = "<html>\nbad gateway</html>";
    Status s = KubeStatusError(r, "GET /x");
    INFO(c.status << " " << s.ToString());
    CHECK(s.code() == c.code);
    CHECK_THAT(s.message(), Catch::StartsWith("GET /x: HTTP " + std::to_string(c.status)) &&
                                Catch::Contains("<html> bad gateway"));
    CHECK(KubeStatusReason(r).empty());
  }
}

}  // namespace
}  // namespace cairn::kube
