#include "appliance/server/http_types.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace cairn {
namespace {

TEST_CASE("ErrorResponse: every Status code maps to its one HTTP status and JSON error body",
          "[unit][server]") {
  struct Row {
    Status status;
    unsigned http;
    const char* code;
  };
  const Row rows[] = {
      {Status::NotFound("snapshot 7 not found"), 404, "not_found"},
      {Status::AlreadyExists("token exists"), 409, "already_exists"},
      {Status::InvalidArgument("bad id"), 400, "invalid_argument"},
      {Status::PermissionDenied("retention lock"), 403, "permission_denied"},
      {Status::Unavailable("store busy"), 503, "unavailable"},
      {Status::Cancelled("shutting down"), 503, "cancelled"},
      {Status::Corruption("chunk ab: bad tag"), 500, "corruption"},
      {Status::IoError("open x: EIO"), 500, "io_error"},
  };
  for (const Row& row : rows) {
    INFO(row.status.ToString());
    HttpResponse r = ErrorResponse(row.status);
    CHECK(r.status == row.http);
    CHECK(r.content_type == "application/json");
    CHECK_FALSE(r.stream);
    nlohmann::json body = nlohmann::json::parse(r.body);
    const nlohmann::json expected = {
        {"error", {{"code", row.code}, {"message", row.status.message()}}}};
    CHECK(body == expected);
    bool has_retry_after = false;
    for (const auto& h : r.headers) {
      if (h.first == "Retry-After") {
        has_retry_after = true;
        CHECK(h.second == "1");
      }
    }
    CHECK(has_retry_after == (row.status.code() == Status::Code::kUnavailable));
  }
}

TEST_CASE("ErrorResponse: a refusal without a Status and an ok Status both give JSON errors",
          "[unit][server]") {
  HttpResponse r = ErrorResponse(401, "unauthenticated", "send a bearer token");
  CHECK(r.status == 401);
  const nlohmann::json expected = {
      {"error", {{"code", "unauthenticated"}, {"message", "send a bearer token"}}}};
  CHECK(nlohmann::json::parse(r.body) == expected);

  HttpResponse bug = ErrorResponse(Status::Ok());
  CHECK(bug.status == 500);
  CHECK(nlohmann::json::parse(bug.body)["error"]["code"] == "internal");
}

TEST_CASE("JsonResponse: invalid UTF-8 in a string is replaced, not thrown", "[unit][server]") {
  const nlohmann::json body = {{"name", std::string("a\xff"
                                                    "b")}};
  HttpResponse r = JsonResponse(201, body);
  CHECK(r.status == 201);
  CHECK(r.content_type == "application/json");
  CHECK(nlohmann::json::parse(r.body)["name"] ==
        "a\xEF\xBF\xBD"
        "b");
}

TEST_CASE("SplitTarget and ParseQuery: path kept raw, query decoded, bad queries refused",
          "[unit][server]") {
  auto [path, query] = SplitTarget("/v1/snap%20shots?a=1&b=x%20y+z&flag&&c=%3D");
  CHECK(path == "/v1/snap%20shots");
  Result<std::map<std::string, std::string>> q = ParseQuery(query);
  REQUIRE(q.ok());
  const std::map<std::string, std::string> expected = {
      {"a", "1"}, {"b", "x y z"}, {"flag", ""}, {"c", "="}};
  CHECK(*q == expected);

  CHECK(SplitTarget("/plain").second.empty());
  CHECK(ParseQuery("").ok());
  CHECK(ParseQuery("a=%zz").error().IsInvalidArgument());
  CHECK(ParseQuery("a=%4").error().IsInvalidArgument());
  CHECK(ParseQuery("=1").error().IsInvalidArgument());
  Result<std::map<std::string, std::string>> twice = ParseQuery("a=1&a=2");
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.error().message().find("'a'") != std::string::npos);
}

TEST_CASE("HttpRequest::header: case-insensitive, empty when absent", "[unit][server]") {
  HttpRequest req;
  req.headers.set("X-Cairn-Token", "abc");
  CHECK(req.header("x-cairn-token") == "abc");
  CHECK(req.header("Authorization").empty());
}

}  // namespace
}  // namespace cairn
