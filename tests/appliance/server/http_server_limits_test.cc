// HttpServer under hostile or careless clients: oversized bodies and headers,
// malformed requests, a slow-loris client, and more connections than allowed.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "appliance/server/http_server.h"
#include "tests/appliance/server/test_client.h"
#include "tests/appliance/server/test_server.h"

namespace cairn {
namespace {

using test::ClientResponse;
using test::TestTlsClient;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

Router EchoRouter() {
  Router router;
  router.Add(
      http::verb::post, "/small",
      [](HttpRequest& req) {
        return JsonResponse(200, {{"len", req.body.size()}});
      },
      RouteOptions{.max_body_bytes = 100});
  router.Add(http::verb::get, "/ping", [](HttpRequest&) {
    return JsonResponse(200, {{"pong", 1}});
  });
  return router;
}

std::string ErrorCode(const ClientResponse& r) {
  return nlohmann::json::parse(r.body)["error"]["code"].get<std::string>();
}

TEST_CASE("HttpServer: a body over the route's limit is answered 413 and the connection closed",
          "[integration][server]") {
  test::TestPki pki;
  test::TestServer srv(EchoRouter(), test::TestListener(pki));

  SECTION("declared by Content-Length: refused before the body is read") {
    TestTlsClient client(pki.ca.cert_pem());
    REQUIRE(client.Connect(srv.port()));
    ClientResponse r = client.Request(
        "POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n" + std::string(101, 'b'));
    REQUIRE(r.complete);
    CHECK(r.status == 413);
    CHECK(ErrorCode(r) == "body_too_large");
    CHECK(r.header("Connection") == "close");
    CHECK(client.WaitClosed(milliseconds(3000)) != TestTlsClient::ReadEnd::kTimeout);
  }
  SECTION("chunked: refused once the chunks pass the limit") {
    TestTlsClient client(pki.ca.cert_pem());
    REQUIRE(client.Connect(srv.port()));
    ClientResponse r = client.Request(
        "POST /small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "50\r\n" +
        std::string(80, 'c') + "\r\n50\r\n" + std::string(80, 'c') + "\r\n0\r\n\r\n");
    REQUIRE(r.complete);
    CHECK(r.status == 413);
    CHECK(client.WaitClosed(milliseconds(3000)) != TestTlsClient::ReadEnd::kTimeout);
  }
  SECTION("at the limit exactly: accepted") {
    TestTlsClient client(pki.ca.cert_pem());
    REQUIRE(client.Connect(srv.port()));
    ClientResponse r = client.Request(
        "POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'b'));
    REQUIRE(r.complete);
    CHECK(r.status == 200);
    CHECK(nlohmann::json::parse(r.body)["len"] == 100);
  }
}

TEST_CASE("HttpServer: a header over header_limit_bytes is answered 431 and the connection closed",
          "[integration][server]") {
  test::TestPki pki;
  ListenerOptions options = test::TestListener(pki);
  options.header_limit_bytes = 1024;
  test::TestServer srv(EchoRouter(), options);

  TestTlsClient client(pki.ca.cert_pem());
  REQUIRE(client.Connect(srv.port()));
  // Under the limit first, so the test shows the limit and not a broken server.
  ClientResponse small = client.Request(
      "GET /ping HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(500, 'p') + "\r\n\r\n");
  REQUIRE(small.complete);
  CHECK(small.status == 200);
  ClientResponse big = client.Request(
      "GET /ping HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(4000, 'p') + "\r\n\r\n");
  REQUIRE(big.complete);
  CHECK(big.status == 431);
  CHECK(ErrorCode(big) == "header_too_large");
  CHECK(client.WaitClosed(milliseconds(3000)) != TestTlsClient::ReadEnd::kTimeout);
  CHECK(srv.stats().responses_4xx == 1);
}

TEST_CASE("HttpServer: a malformed request line is answered 400 and the connection closed",
          "[integration][server]") {
  test::TestPki pki;
  test::TestServer srv(EchoRouter(), test::TestListener(pki));
  for (const char* raw :
       {"GARBAGE\r\n\r\n", "GET /ping HTTX/1.1\r\n\r\n", "GET /ping HTTP/1.1\r\nHost x\r\n\r\n",
        "POST /small HTTP/1.1\r\nContent-Length: nope\r\n\r\n"}) {
    INFO(raw);
    TestTlsClient client(pki.ca.cert_pem());
    REQUIRE(client.Connect(srv.port()));
    ClientResponse r = client.Request(raw);
    REQUIRE(r.complete);
    CHECK(r.status == 400);
    CHECK(ErrorCode(r) == "bad_request");
    CHECK(client.WaitClosed(milliseconds(3000)) != TestTlsClient::ReadEnd::kTimeout);
  }
  CHECK(srv.stats().responses_4xx == 4);
}

TEST_CASE("HttpServer: a slow-loris client is closed after idle_timeout while others are served",
          "[integration][server][slow]") {
  test::TestPki pki;
  ListenerOptions options = test::TestListener(pki);
  options.idle_timeout = milliseconds(300);
  test::TestServer srv(EchoRouter(), options);

  TestTlsClient loris(pki.ca.cert_pem());
  REQUIRE(loris.Connect(srv.port()));
  REQUIRE(loris.Send("GET /ping HTTP/1.1\r\nHost: x\r\nX-Slow: "));  // and nothing more
  const Clock::time_point stalled_at = Clock::now();
  TestTlsClient::ReadEnd loris_end = TestTlsClient::ReadEnd::kTimeout;
  Clock::time_point loris_closed_at;
  std::thread watcher([&] {  // no Catch assertions off the main thread
    loris_end = loris.WaitClosed(milliseconds(3000));
    loris_closed_at = Clock::now();
  });

  // Meanwhile a good client makes requests over a span longer than the
  // loris' timeout, each answered promptly, on one keep-alive connection.
  TestTlsClient good(pki.ca.cert_pem());
  bool connected = good.Connect(srv.port());
  milliseconds slowest{0};
  int answered = 0;
  for (int i = 0; connected && i < 12; ++i) {
    Clock::time_point t0 = Clock::now();
    ClientResponse r = good.Request("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
    slowest = std::max(slowest, std::chrono::duration_cast<milliseconds>(Clock::now() - t0));
    if (r.complete && r.status == 200) ++answered;
    std::this_thread::sleep_for(milliseconds(50));
  }
  const Clock::time_point good_done_at = Clock::now();
  watcher.join();

  CHECK(connected);
  CHECK(answered == 12);
  CHECK(slowest < milliseconds(250));
  auto open_for = std::chrono::duration_cast<milliseconds>(loris_closed_at - stalled_at);
  INFO("loris ended by " << TestTlsClient::Name(loris_end) << " after " << open_for.count()
                         << " ms");
  CHECK(loris_end != TestTlsClient::ReadEnd::kTimeout);
  CHECK(open_for >= milliseconds(280));
  CHECK(open_for < milliseconds(1500));
  CHECK(loris_closed_at < good_done_at);  // the good client was served across the loris' end
  CHECK(srv.stats().connections_active == 1);
}

TEST_CASE("HttpServer: connections over max_connections are refused and counted",
          "[integration][server]") {
  test::TestPki pki;
  ListenerOptions options = test::TestListener(pki);
  options.max_connections = 2;
  test::TestServer srv(EchoRouter(), options);
  const std::string ping = "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n";

  TestTlsClient a(pki.ca.cert_pem()), b(pki.ca.cert_pem());
  REQUIRE(a.Connect(srv.port()));
  REQUIRE(b.Connect(srv.port()));
  REQUIRE(a.Request(ping).status == 200);
  REQUIRE(b.Request(ping).status == 200);

  TestTlsClient c(pki.ca.cert_pem());
  // TCP connects (the kernel accepts), then the server closes it unserved.
  bool served = c.Connect(srv.port()) && c.Request(ping).complete;
  CHECK_FALSE(served);
  CHECK(test::WaitFor([&] { return srv.stats().connections_refused == 1; }));
  CHECK(srv.stats().connections_active == 2);

  a.Close();  // a slot frees up...
  REQUIRE(test::WaitFor([&] { return srv.stats().connections_active == 1; }));
  TestTlsClient d(pki.ca.cert_pem());
  REQUIRE(d.Connect(srv.port()));  // ...and the next client is served
  CHECK(d.Request(ping).status == 200);
  CHECK(srv.stats().connections_refused == 1);
  CHECK(srv.stats().connections_total == 3);
}

}  // namespace
}  // namespace cairn
