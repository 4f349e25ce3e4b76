// Streamed (chunked) responses produced piece by piece on the worker pool, a
// producer failing halfway, and a graceful Stop with a request in flight.
#include <atomic>
#include <catch2/catch.hpp>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
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

constexpr std::size_t kPiece = 1 << 20;

// Byte i of a stream is a function of i, so a lost, repeated or reordered
// piece shows.
char PatternByte(std::size_t i) { return static_cast<char>((i * 131 + i / 977) & 0xff); }

// Produces `pieces` pieces of kPiece bytes, then fails if fail_after is set
// (after that many pieces) or ends. Records the threads it ran on.
struct Producer {
  std::size_t pieces = 0;
  std::size_t fail_after = SIZE_MAX;
  std::size_t next = 0;
  std::mutex mu;
  std::set<std::thread::id> threads;

  Result<std::string> operator()() {
    {
      std::lock_guard<std::mutex> lock(mu);
      threads.insert(std::this_thread::get_id());
    }
    if (next == fail_after) return Status::IoError("read chunk 7: Input/output error");
    if (next == pieces) return std::string();
    std::string piece(kPiece, '\0');
    for (std::size_t i = 0; i < kPiece; ++i) piece[i] = PatternByte(next * kPiece + i);
    ++next;
    return piece;
  }
};

Router StreamRouter(std::shared_ptr<Producer> producer) {
  Router router;
  router.Add(http::verb::get, "/download", [producer](HttpRequest&) {
    HttpResponse r;
    r.content_type = "application/octet-stream";
    r.headers.emplace_back("X-Pieces", std::to_string(producer->pieces));
    r.stream = [producer] { return (*producer)(); };
    return r;
  });
  router.Add(http::verb::get, "/ping", [](HttpRequest&) { return JsonResponse(200, {{"ok", 1}}); });
  return router;
}

TEST_CASE("HttpServer: a 20 MiB streamed response arrives whole, produced on the worker pool",
          "[integration][server]") {
  test::TestPki pki;
  auto producer = std::make_shared<Producer>();
  producer->pieces = 20;
  test::TestServer srv(StreamRouter(producer), test::TestListener(pki));

  TestTlsClient client(pki.ca.cert_pem());
  REQUIRE(client.Connect(srv.port()));
  ClientResponse r = client.Request("GET /download HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(r.complete);
  CHECK(r.status == 200);
  CHECK(r.header("Transfer-Encoding") == "chunked");
  CHECK(r.header("X-Pieces") == "20");
  REQUIRE(r.body.size() == 20 * kPiece);
  std::size_t first_bad = SIZE_MAX;
  for (std::size_t i = 0; i < r.body.size() && first_bad == SIZE_MAX; ++i) {
    if (r.body[i] != PatternByte(i)) first_bad = i;
  }
  CHECK(first_bad == SIZE_MAX);
  // Keep-alive survives a streamed response.
  CHECK(client.Request("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n").status == 200);

  std::lock_guard<std::mutex> lock(producer->mu);
  CHECK(producer->next == 20);
  CHECK_FALSE(producer->threads.empty());
  CHECK(producer->threads.count(srv.io_thread_id()) == 0);
}

TEST_CASE("HttpServer: a failing stream leaves the client an incomplete chunked body",
          "[integration][server]") {
  test::TestPki pki;
  auto producer = std::make_shared<Producer>();
  producer->pieces = 20;
  producer->fail_after = 3;
  test::TestServer srv(StreamRouter(producer), test::TestListener(pki));

  TestTlsClient client(pki.ca.cert_pem());
  REQUIRE(client.Connect(srv.port()));
  ClientResponse r = client.Request("GET /download HTTP/1.1\r\nHost: x\r\n\r\n");
  INFO(r.error);
  CHECK_FALSE(r.complete);  // no terminating chunk: the client knows it is cut
  CHECK(r.error.find("before the response did") != std::string::npos);
  CHECK(client.bytes_read() >= 3 * kPiece);
  CHECK(client.bytes_read() < 4 * kPiece);
  CHECK(test::WaitFor([&] { return srv.stats().connections_active == 0; }));
}

TEST_CASE("HttpServer: Stop lets a request in flight finish, then the port refuses connections",
          "[integration][server]") {
  test::TestPki pki;
  std::atomic<bool> handler_started{false};
  std::atomic<bool> handler_finished{false};
  Router router;
  router.Add(http::verb::get, "/slow", [&](HttpRequest&) {
    handler_started = true;
    std::this_thread::sleep_for(milliseconds(200));
    handler_finished = true;
    return JsonResponse(200, {{"slept_ms", 200}});
  });
  router.Add(http::verb::get, "/ping", [](HttpRequest&) { return JsonResponse(200, {{"ok", 1}}); });
  test::TestServer srv(std::move(router), test::TestListener(pki));

  TestTlsClient idle(pki.ca.cert_pem());  // a keep-alive connection with nothing in flight
  REQUIRE(idle.Connect(srv.port()));
  REQUIRE(idle.Request("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n").status == 200);

  TestTlsClient busy(pki.ca.cert_pem());
  REQUIRE(busy.Connect(srv.port()));
  REQUIRE(busy.Send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
  REQUIRE(test::WaitFor([&] { return handler_started.load(); }));

  Clock::time_point t0 = Clock::now();
  srv.server().Stop(milliseconds(5000));
  auto stop_took = std::chrono::duration_cast<milliseconds>(Clock::now() - t0);
  CHECK(handler_finished);
  CHECK(stop_took < milliseconds(3000));  // it waited for the handler, not for the grace

  ClientResponse r = busy.ReadResponse();  // already sent by the time Stop returned
  REQUIRE(r.complete);
  CHECK(r.status == 200);
  CHECK(r.header("Connection") == "close");
  CHECK(idle.WaitClosed(milliseconds(1000)) != TestTlsClient::ReadEnd::kTimeout);
  CHECK(test::TryTcpConnect(srv.port()) == ECONNREFUSED);
  CHECK(srv.stats().connections_active == 0);
}

TEST_CASE("HttpServer: Stop closes a request still running after the grace period",
          "[integration][server]") {
  test::TestPki pki;
  std::atomic<bool> handler_started{false};
  Router router;
  router.Add(http::verb::get, "/slow", [&](HttpRequest&) {
    handler_started = true;
    std::this_thread::sleep_for(milliseconds(400));
    return JsonResponse(200, {{"late", true}});
  });
  test::TestServer srv(std::move(router), test::TestListener(pki));

  TestTlsClient busy(pki.ca.cert_pem());
  REQUIRE(busy.Connect(srv.port()));
  REQUIRE(busy.Send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
  REQUIRE(test::WaitFor([&] { return handler_started.load(); }));
  Clock::time_point t0 = Clock::now();
  srv.server().Stop(milliseconds(50));
  auto stop_took = std::chrono::duration_cast<milliseconds>(Clock::now() - t0);
  // Stop waited for the handler (it cannot be interrupted) but the answer
  // was dropped: the connection was closed at the end of the grace.
  CHECK(stop_took >= milliseconds(250));
  ClientResponse r = busy.ReadResponse();
  CHECK_FALSE(r.complete);
  CHECK(test::TryTcpConnect(srv.port()) == ECONNREFUSED);
}

}  // namespace
}  // namespace cairn
