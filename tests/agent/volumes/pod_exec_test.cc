#include "agent/volumes/pod_exec.h"

#include <catch2/catch.hpp>

#include "tests/core/net/test_certs.h"
#include "tests/core/net/websocket_test_server.h"

namespace cairn::volumes {
namespace {

using std::chrono::milliseconds;
using test::WebSocketTestServer;
using test::WsScript;

struct ExecPki {
  test::TestCa ca;
  test::TestCert server;
};

ExecPki MakeExecPki() {
  ExecPki pki;
  auto ca = test::MakeTestCa("Kube Test CA");
  REQUIRE(ca.ok());
  pki.ca = *ca;
  auto server = test::IssueTestCert(pki.ca, {"kube-apiserver", {"localhost"}, {"127.0.0.1"}, false});
  REQUIRE(server.ok());
  pki.server = *server;
  return pki;
}

std::pair<bool, std::string> Channel(char channel, const std::string& payload) {
  return {true, std::string(1, channel) + payload};
}

struct Run {
  std::unique_ptr<WebSocketTestServer> server;
  Result<ExecResult> result = Status::Unavailable("not run");
};

Run ExecAgainst(const ExecPki& pki, WsScript script, milliseconds timeout = milliseconds(5000)) {
  Run run;
  auto server = WebSocketTestServer::Start(pki.server.cert_pem, pki.server.key_pem, script);
  REQUIRE(server.ok());
  run.server = std::move(*server);
  kube::KubeConfig config;
  config.server = "https://127.0.0.1:" + std::to_string(run.server->endpoint().port);
  config.ca_pem = pki.ca.cert_pem;
  config.bearer_token = "tok-123";
  auto exec = PodExec::Create(config);
  REQUIRE(exec.ok());
  run.result = (*exec)->Exec("shop", "db-0", "db", {"/bin/sh", "-c", "sync; echo a&b=c"}, timeout);
  return run;
}

TEST_CASE("PodExec: output channels are split and a Success status is exit code 0",
          "[integration]") {
  ExecPki pki = MakeExecPki();
  WsScript script;
  script.subprotocol = "v4.channel.k8s.io";
  script.send = {Channel(1, ""), Channel(2, ""), Channel(1, "frozen\n"), Channel(2, "warn\n"),
                 Channel(3, R"({"metadata":{},"status":"Success"})")};
  Run run = ExecAgainst(pki, script);
  INFO(run.result.status().ToString());
  REQUIRE(run.result.ok());
  CHECK(run.result->exit_code == 0);
  CHECK(run.result->stdout_tail == "frozen\n");
  CHECK(run.result->stderr_tail == "warn\n");
  CHECK(run.result->failure.empty());
  test::WsSeen seen = run.server->seen();
  CHECK(seen.target ==
        "/api/v1/namespaces/shop/pods/db-0/exec?container=db&command=%2Fbin%2Fsh&command=-c"
        "&command=sync%3B%20echo%20a%26b%3Dc&stdout=true&stderr=true");
  CHECK(seen.authorization == "Bearer tok-123");
  CHECK(seen.offered_subprotocols == "v5.channel.k8s.io, v4.channel.k8s.io");
}

TEST_CASE("PodExec: a NonZeroExitCode status gives the exit code", "[integration]") {
  ExecPki pki = MakeExecPki();
  WsScript script;
  script.subprotocol = "v5.channel.k8s.io";
  script.send = {Channel(2, "fsfreeze: not permitted\n"),
                 Channel(3, R"({"status":"Failure","reason":"NonZeroExitCode","message":"command terminated with non-zero exit code: 3","details":{"causes":[{"reason":"ExitCode","message":"3"}]}})")};
  Run run = ExecAgainst(pki, script);
  REQUIRE(run.result.ok());
  CHECK(run.result->exit_code == 3);
  CHECK(run.result->stderr_tail == "fsfreeze: not permitted\n");
}

TEST_CASE("PodExec: a Failure that is not an exit code says why the command could not run",
          "[integration]") {
  ExecPki pki = MakeExecPki();
  WsScript script;
  script.subprotocol = "v4.channel.k8s.io";
  script.send = {Channel(3, R"({"status":"Failure","message":"container \"db\" not found"})")};
  Run run = ExecAgainst(pki, script);
  REQUIRE(run.result.ok());
  CHECK(run.result->exit_code == -1);
  CHECK(run.result->failure == "container \"db\" not found");
}

TEST_CASE("PodExec: only the last 64 KiB of output is kept", "[integration]") {
  ExecPki pki = MakeExecPki();
  WsScript script;
  script.subprotocol = "v4.channel.k8s.io";
  for (int i = 0; i < 5; ++i) script.send.push_back(Channel(1, std::string(30 * 1024, 'a' + i)));
  script.send.push_back(Channel(3, R"({"status":"Success"})"));
  Run run = ExecAgainst(pki, script);
  REQUIRE(run.result.ok());
  REQUIRE(run.result->stdout_tail.size() == kMaxOutputTail);
  CHECK(run.result->stdout_tail.back() == 'e');
  CHECK(run.result->stdout_tail.front() == 'c');
}

TEST_CASE("PodExec: a command that does not finish in time is an error naming the timeout",
          "[integration]") {
  ExecPki pki = MakeExecPki();
  WsScript script;
  script.subprotocol = "v4.channel.k8s.io";
  script.hang = true;
  auto start = std::chrono::steady_clock::now();
  Run run = ExecAgainst(pki, script, milliseconds(400));
  REQUIRE_FALSE(run.result.ok());
  CHECK_THAT(run.result.error().message(), Catch::Contains("did not finish within 400ms"));
  CHECK(std::chrono::steady_clock::now() - start < milliseconds(3000));
}

TEST_CASE("PodExec: a stream that ends without a status, or a refused exec, is an error",
          "[integration]") {
  ExecPki pki = MakeExecPki();
  WsScript no_status;
  no_status.subprotocol = "v4.channel.k8s.io";
  no_status.send = {Channel(1, "hi")};
  Run a = ExecAgainst(pki, no_status);
  REQUIRE_FALSE(a.result.ok());
  CHECK_THAT(a.result.error().message(), Catch::Contains("without a status"));

  WsScript refused;
  refused.refuse_status = 403;
  refused.refuse_body = R"({"kind":"Status","message":"pods \"db-0\" is forbidden: cannot create pods/exec"})";
  Run b = ExecAgainst(pki, refused);
  REQUIRE_FALSE(b.result.ok());
  CHECK(b.result.error().IsPermissionDenied());
  CHECK_THAT(b.result.error().message(), Catch::Contains("exec in pod shop/db-0 container db"));
  CHECK_THAT(b.result.error().message(), Catch::Contains("cannot create pods/exec"));
}

TEST_CASE("PodExec: status messages are parsed defensively", "[unit]") {
  ExecResult r;
  CHECK_FALSE(ParseExecStatus("not json", r).ok());
  CHECK_FALSE(ParseExecStatus(R"({"status":"Maybe"})", r).ok());
  REQUIRE(ParseExecStatus(
              R"({"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"x"}]}})",
              r)
              .ok());
  CHECK(r.exit_code == -1);  // an unreadable exit code is a failure, never 0
}

}  // namespace
}  // namespace cairn::volumes
