// HttpServer end to end over real TLS on 127.0.0.1: routing, keep-alive,
// handler placement on the worker pool, handler failures, stats, and the
// errors Start() reports.
#include "appliance/server/http_server.h"

#include <catch2/catch.hpp>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

#include "tests/appliance/server/test_client.h"
#include "tests/appliance/server/test_server.h"

namespace cairn {
namespace {

using test::ClientResponse;
using test::TestTlsClient;

std::string Get(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: cairn-test\r\n" + extra +
         "\r\n";
}

std::string Post(const std::string& target, const std::string& body) {
  return "POST " + target +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

// Thread ids the handlers ran on (handlers run concurrently on the pool).
struct ThreadLog {
  std::mutex mu;
  std::set<std::thread::id> ids;
  void Record() {
    std::lock_guard<std::mutex> lock(mu);
    ids.insert(std::this_thread::get_id());
  }
};

TEST_CASE("HttpServer: GET and POST round trips share one keep-alive connection",
          "[integration][server]") {
  test::TestPki pki;
  ThreadLog threads;
  Router router;
  router.Add(http::verb::get, "/v1/items/{id}", [&threads](HttpRequest& req) {
    threads.Record();
    return JsonResponse(200, {{"id", req.params.at("id")},
                              {"q", req.query.count("q") ? req.query.at("q") : ""},
                              {"path", req.path},
                              {"remote", req.remote_address},
                              {"agent", req.header("User-Agent")},
                              {"peer", req.peer.has_certificate}});
  });
  router.Add(http::verb::post, "/v1/items", [&threads](HttpRequest& req) {
    threads.Record();
    return JsonResponse(201, {{"got", req.body}});
  });
  test::TestServer srv(std::move(router), test::TestListener(pki));

  TestTlsClient client(pki.ca.cert_pem());
  std::string error;
  REQUIRE(client.Connect(srv.port(), &error));
  for (int i = 0; i < 3; ++i) {
    ClientResponse r = client.Request(Get("/v1/items/" + std::to_string(i) + "?q=a%20b"));
    REQUIRE(r.complete);
    CHECK(r.status == 200);
    CHECK(r.header("Content-Type") == "application/json");
    nlohmann::json j = nlohmann::json::parse(r.body);
    CHECK(j["id"] == std::to_string(i));
    CHECK(j["q"] == "a b");
    CHECK(j["path"] == "/v1/items/" + std::to_string(i));
    CHECK(j["remote"] == "127.0.0.1");
    CHECK(j["agent"] == "cairn-test");
    CHECK(j["peer"] == false);
  }
  ClientResponse posted = client.Request(Post("/v1/items", "hello, server"));
  REQUIRE(posted.complete);
  CHECK(posted.status == 201);
  CHECK(nlohmann::json::parse(posted.body)["got"] == "hello, server");

  // A chunked request body is assembled before the handler sees it.
  ClientResponse chunked = client.Request(
      "POST /v1/items HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n");
  REQUIRE(chunked.complete);
  CHECK(nlohmann::json::parse(chunked.body)["got"] == "hello, world");

  // Routing refusals answer and keep the connection.
  ClientResponse missing = client.Request(Get("/v1/nothing"));
  REQUIRE(missing.complete);
  CHECK(missing.status == 404);
  CHECK(nlohmann::json::parse(missing.body)["error"]["code"] == "not_found");
  ClientResponse wrong_method = client.Request("DELETE /v1/items HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(wrong_method.complete);
  CHECK(wrong_method.status == 405);
  CHECK(wrong_method.header("Allow") == "POST");
  ClientResponse bad_query = client.Request(Get("/v1/items/1?q=%zz"));
  REQUIRE(bad_query.complete);
  CHECK(bad_query.status == 400);

  ClientResponse last = client.Request(Get("/v1/items/9", "Connection: close\r\n"));
  REQUIRE(last.complete);
  CHECK(last.status == 200);
  CHECK(last.header("Connection") == "close");
  CHECK(client.WaitClosed(std::chrono::milliseconds(3000)) == TestTlsClient::ReadEnd::kCleanClose);

  CHECK(srv.stats().connections_total == 1);  // every request above used one connection
  CHECK(srv.stats().requests_total == 9);
  std::lock_guard<std::mutex> lock(threads.mu);
  CHECK_FALSE(threads.ids.empty());
  CHECK(threads.ids.count(srv.io_thread_id()) == 0);  // handlers never run on the I/O thread
}

TEST_CASE("HttpServer: a handler that throws answers 500 without its message and keeps serving",
          "[integration][server]") {
  test::TestPki pki;
  Router router;
  router.Add(http::verb::get, "/boom", [](HttpRequest&) -> HttpResponse {
    throw std::runtime_error("secret detail /var/lib/cairn/x");
  });
  router.Add(http::verb::get, "/bad-status", [](HttpRequest&) {
    HttpResponse r;
    r.status = 1234;  // not an HTTP status at all
    return r;
  });
  router.Add(http::verb::get, "/ok", [](HttpRequest&) {
    return JsonResponse(200, {{"ok", true}});
  });
  router.Add(http::verb::delete_, "/gone", [](HttpRequest&) {
    HttpResponse r = JsonResponse(204, {{"ignored", "a 204 has no body"}});
    return r;
  });
  test::TestServer srv(std::move(router), test::TestListener(pki));

  TestTlsClient client(pki.ca.cert_pem());
  REQUIRE(client.Connect(srv.port()));
  ClientResponse boom = client.Request(Get("/boom"));
  REQUIRE(boom.complete);
  CHECK(boom.status == 500);
  CHECK(nlohmann::json::parse(boom.body)["error"]["code"] == "internal");
  CHECK(boom.body.find("secret detail") == std::string::npos);
  ClientResponse bad = client.Request(Get("/bad-status"));
  REQUIRE(bad.complete);
  CHECK(bad.status == 500);
  ClientResponse gone = client.Request("DELETE /gone HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(gone.complete);
  CHECK(gone.status == 204);
  CHECK(gone.body.empty());
  ClientResponse ok = client.Request(Get("/ok"));
  REQUIRE(ok.complete);
  CHECK(ok.status == 200);
  CHECK(srv.stats().responses_5xx == 2);
}

TEST_CASE("HttpServer: stats count connections, requests, status classes and bytes",
          "[integration][server]") {
  test::TestPki pki;
  Router router;
  router.Add(http::verb::post, "/echo", [](HttpRequest& req) {
    HttpResponse r;
    r.content_type = "application/octet-stream";
    r.body = req.body;
    return r;
  });
  test::TestServer srv(std::move(router), test::TestListener(pki));
  const ListenerStats& st = srv.stats();
  CHECK(st.connections_total == 0);

  std::uint64_t sent_bytes = 0;
  {
    TestTlsClient client(pki.ca.cert_pem());
    REQUIRE(client.Connect(srv.port()));
    CHECK(test::WaitFor([&] { return st.connections_active == 1; }));
    for (const std::string& req :
         {Post("/echo", std::string(1000, 'x')), Get("/nope"), Post("/echo", "")}) {
      sent_bytes += req.size();
      REQUIRE(client.Request(req).complete);
    }
    // The server counts a write when it completes, which may be just after
    // the client has read it.
    CHECK(test::WaitFor([&] { return st.bytes_sent == client.bytes_read(); }));
  }
  CHECK(test::WaitFor([&] { return st.connections_active == 0; }));
  CHECK(st.connections_total == 1);
  CHECK(st.requests_total == 3);
  CHECK(st.responses_4xx == 1);
  CHECK(st.responses_5xx == 0);
  CHECK(st.bytes_received == sent_bytes);
  CHECK(st.bytes_sent > 1000);
  CHECK(st.tls_handshake_failures == 0);
  CHECK(st.connections_refused == 0);
}

TEST_CASE("HttpServer: Start reports bad certificates, addresses and ports clearly",
          "[integration][server]") {
  test::TestPki pki;
  asio::io_context io;
  asio::thread_pool pool(1);
  Router router;
  auto start_with = [&](ListenerOptions o) {
    HttpServer server(io, pool, router, std::move(o));
    return server.Start().status();
  };

  ListenerOptions garbage = test::TestListener(pki);
  garbage.cert_chain_pem = "not a certificate";
  Status s = start_with(garbage);
  CHECK(s.IsInvalidArgument());
  CHECK(s.message().find("listener test") != std::string::npos);
  CHECK(s.message().find("server certificate chain") != std::string::npos);

  ListenerOptions mismatch = test::TestListener(pki);
  mismatch.key_pem = pki.client.key_pem;
  s = start_with(mismatch);
  INFO(s.message());
  CHECK(s.IsInvalidArgument());
  CHECK(s.message().find("does not match") != std::string::npos);

  ListenerOptions no_ca = test::TestListener(pki, ClientAuth::kRequired);
  no_ca.client_ca_pem.clear();
  s = start_with(no_ca);
  CHECK(s.IsInvalidArgument());
  CHECK(s.message().find("client_ca_pem") != std::string::npos);

  ListenerOptions bad_address = test::TestListener(pki);
  bad_address.address = "appliance.local";
  s = start_with(bad_address);
  CHECK(s.IsInvalidArgument());
  CHECK(s.message().find("not an IP address") != std::string::npos);

  // A started server whose io_context never ran stops at once (the daemon's
  // error path when a later listener fails to start), and frees its port.
  std::uint16_t taken = 0;
  {
    HttpServer first(io, pool, router, test::TestListener(pki));
    Result<std::uint16_t> port = first.Start();
    REQUIRE(port.ok());
    taken = *port;
    ListenerOptions same_port = test::TestListener(pki);
    same_port.port = taken;
    s = start_with(same_port);
    CHECK(s.code() == Status::Code::kIoError);
    CHECK(s.message().find("in use") != std::string::npos);
    CHECK(first.Start().status().IsInvalidArgument());  // once only
  }
  CHECK(test::TryTcpConnect(taken) == ECONNREFUSED);
  pool.join();
}

}  // namespace
}  // namespace cairn
