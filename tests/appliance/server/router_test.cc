#include "appliance/server/router.h"

#include <catch2/catch.hpp>

namespace cairn {
namespace {

using Params = std::map<std::string, std::string>;

// A handler that answers with its own name, so a test can tell which route won.
HttpHandler Named(std::string name) {
  return [name](HttpRequest&) {
    HttpResponse r;
    r.body = name;
    return r;
  };
}

std::string Call(const Router::Match& m) {
  REQUIRE(m.handler != nullptr);
  HttpRequest req;
  return (*m.handler)(req).body;
}

TEST_CASE("Router: literal and {param} segments match, and params are captured raw",
          "[unit][server]") {
  Router router;
  router.Add(http::verb::get, "/v1/snapshots", Named("list"));
  router.Add(http::verb::get, "/v1/snapshots/{id}/manifest", Named("manifest"),
             RouteOptions{.max_body_bytes = 7});
  router.Add(http::verb::get, "/v1/clusters/{cluster}/snapshots/{id}", Named("pair"));

  Router::Match m = router.Find(http::verb::get, "/v1/snapshots/ab%2Fcd/manifest");
  CHECK(Call(m) == "manifest");
  const Params expected_id = {{"id", "ab%2Fcd"}};
  CHECK(m.params == expected_id);
  CHECK(m.options.max_body_bytes == 7);
  CHECK(m.error_status == 0);

  m = router.Find(http::verb::get, "/v1/clusters/east/snapshots/42");
  CHECK(Call(m) == "pair");
  const Params expected_pair = {{"cluster", "east"}, {"id", "42"}};
  CHECK(m.params == expected_pair);

  m = router.Find(http::verb::get, "/v1/snapshots");
  CHECK(Call(m) == "list");
  CHECK(m.params.empty());
  CHECK(m.options.max_body_bytes == 64 << 10);
}

TEST_CASE("Router: an unknown path is 404; a known path with another method is 405 with Allow",
          "[unit][server]") {
  Router router;
  router.Add(http::verb::get, "/v1/snapshots/{id}", Named("get"));
  router.Add(http::verb::delete_, "/v1/snapshots/{id}", Named("delete"));
  router.Add(http::verb::put, "/v1/snapshots/{id}", Named("put"));

  Router::Match m = router.Find(http::verb::get, "/v1/nothing");
  CHECK(m.handler == nullptr);
  CHECK(m.error_status == 404);
  CHECK(m.allow.empty());

  m = router.Find(http::verb::post, "/v1/snapshots/7");
  CHECK(m.handler == nullptr);
  CHECK(m.error_status == 405);
  CHECK(m.allow == "DELETE, GET, PUT");

  CHECK(Call(router.Find(http::verb::delete_, "/v1/snapshots/7")) == "delete");
}

TEST_CASE("Router: a literal segment wins over a parameter, whatever the order of Add",
          "[unit][server]") {
  Router router;
  router.Add(http::verb::get, "/v1/snapshots/{id}", Named("by-id"));
  router.Add(http::verb::get, "/v1/snapshots/latest", Named("latest"));
  router.Add(http::verb::get, "/v1/{kind}/latest", Named("kind-latest"));

  CHECK(Call(router.Find(http::verb::get, "/v1/snapshots/latest")) == "latest");
  CHECK(Call(router.Find(http::verb::get, "/v1/snapshots/abc")) == "by-id");
  CHECK(Call(router.Find(http::verb::get, "/v1/tokens/latest")) == "kind-latest");
}

TEST_CASE("Router: a parameter never matches an empty or missing segment", "[unit][server]") {
  Router router;
  router.Add(http::verb::get, "/", Named("root"));
  router.Add(http::verb::get, "/v1/snapshots/{id}", Named("by-id"));

  CHECK(router.Find(http::verb::get, "/v1/snapshots/").error_status == 404);
  CHECK(router.Find(http::verb::get, "/v1/snapshots").error_status == 404);
  CHECK(router.Find(http::verb::get, "/v1/snapshots/a/b").error_status == 404);
  CHECK(router.Find(http::verb::get, "/v1//a").error_status == 404);
  CHECK(router.Find(http::verb::get, "v1/snapshots/a").error_status == 404);
  CHECK(router.Find(http::verb::get, "").error_status == 404);
  CHECK(Call(router.Find(http::verb::get, "/")) == "root");
}

}  // namespace
}  // namespace cairn
