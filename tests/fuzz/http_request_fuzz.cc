// Fuzz target: what the appliance's HTTP server does with a client's bytes,
// without sockets or TLS. The bytes go through the same Boost.Beast parsers
// with the same limits as appliance/server/http_session.cc (header parser
// with the listener's header limit, then a string-body parser with the
// route's body limit), then through our own code: SplitTarget, Router::Find
// (a router holding the ingest listener's route shapes and limits), ParseQuery,
// HttpRequest::header/query_value, and the JSON answers (JsonResponse,
// ErrorResponse) serialized as Respond() does. Pipelined requests in one
// input are served one after another, as on a kept-alive connection.
//
// Oracles: every answer is a valid HTTP status with a JSON body that parses
// (invalid UTF-8 from the request must be repaired, never thrown about); a
// body never exceeds its route's limit; a matched route's {params} are
// non-empty and contain no '/'.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "appliance/config/appliance_config.h"
#include "appliance/server/http_server.h"
#include "appliance/server/http_types.h"
#include "appliance/server/router.h"
#include "tests/fuzz/fuzz_support.h"

namespace cairn {
namespace {

using json = nlohmann::json;
using boost::system::error_code;

constexpr int kMaxRequestsPerInput = 8;

// A handler that reads what real handlers read from a request.
HttpResponse Echo(HttpRequest& r) {
  json params = json::object();
  for (const auto& [k, v] : r.params) params[k] = v;
  json query = json::object();
  for (const auto& [k, v] : r.query) query[k] = r.query_value(k).value_or("");
  return JsonResponse(200, {{"path", r.path},
                            {"params", params},
                            {"query", query},
                            {"content_type", r.header("Content-Type")},
                            {"body_bytes", r.body.size()}});
}

// The ingest listener's routes (appliance/daemon/ingest_api.cc and
// replica_api.cc), with their body limits at the config defaults.
const Router& IngestRouter() {
  static const Router* router = [] {
    auto* r = new Router();
    const ApplianceConfig config;
    using http::verb;
    r->Add(verb::get, "/v1/healthz", Echo);
    r->Add(verb::post, "/v1/enroll", Echo, RouteOptions{64 << 10});
    r->Add(verb::get, "/v1/session", Echo);
    r->Add(verb::post, "/v1/chunks/missing", Echo, RouteOptions{16384 * 32});
    r->Add(verb::post, "/v1/chunks", Echo, RouteOptions{config.max_chunk_batch_bytes});
    r->Add(verb::post, "/v1/snapshots", Echo, RouteOptions{config.max_manifest_bytes});
    r->Add(verb::get, "/v1/snapshots", Echo);
    r->Add(verb::get, "/v1/snapshots/{id}/manifest", Echo);
    r->Add(verb::get, "/v1/agent/schedules", Echo);
    r->Add(verb::get, "/v1/snapshots/{id}/chunks/{chunk}", Echo);
    r->Add(verb::get, "/v1/replica/probe", Echo);
    r->Add(verb::put, "/v1/replica/object", Echo, RouteOptions{config.max_manifest_bytes});
    r->Add(verb::get, "/v1/replica/object", Echo);
    r->Add(verb::get, "/v1/replica/keys", Echo);
    r->Add(verb::delete_, "/v1/replica/object", Echo);
    r->Add(verb::post, "/v1/agents/{id}/revoke", Echo);
    r->Add(verb::get, "/v1/snapshots/latest", Echo);  // literal beats {id}
    return r;
  }();
  return *router;
}

// Respond()'s checks and serialization, for the answer to one request.
void Answer(HttpResponse response, unsigned version, bool keep_alive) {
  fuzz::Debug("answer " + std::to_string(response.status) + " " + response.body, Status::Ok());
  CAIRN_FUZZ_CHECK(response.status >= 200 && response.status <= 599,
                   "invalid status " + std::to_string(response.status));
  json parsed = json::parse(response.body, nullptr, false);
  CAIRN_FUZZ_CHECK(!parsed.is_discarded(), "an answer is not valid JSON: " + response.body);
  http::response<http::string_body> res;
  res.version(version);
  res.result(response.status);
  if (!response.content_type.empty()) res.set(http::field::content_type, response.content_type);
  for (const auto& [name, value] : response.headers) res.insert(name, value);
  res.body() = std::move(response.body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  std::ostringstream out;
  out << res;
}

// Like http_session.cc IsMalformed: a parse error in the client's bytes.
bool IsMalformed(const error_code& ec) {
  if (ec.category() != http::make_error_code(http::error::bad_target).category()) return false;
  return ec != http::error::end_of_stream && ec != http::error::partial_message &&
         ec != http::error::need_more && ec != http::error::buffer_overflow &&
         ec != http::error::header_limit && ec != http::error::body_limit;
}

// Serves one request from the front of `in`; false when the connection
// would end (an error answered, or the bytes ran out).
bool ServeOne(std::string_view& in) {
  const ListenerOptions options;
  http::request_parser<http::empty_body> head;
  head.header_limit(options.header_limit_bytes);
  head.body_limit(std::numeric_limits<std::uint64_t>::max());
  error_code ec;
  std::size_t used = head.put(asio::buffer(in.data(), in.size()), ec);
  in.remove_prefix(used);
  if (ec == http::error::need_more) return false;  // the client went quiet: timeout
  if (ec == http::error::header_limit) {
    Answer(ErrorResponse(431, "header_too_large", "too large"), 11, false);
    return false;
  }
  if (ec) {
    CAIRN_FUZZ_CHECK(IsMalformed(ec), "unexpected header parse error: " + ec.message());
    Answer(ErrorResponse(400, "bad_request", "malformed HTTP request: " + ec.message()), 11, false);
    return false;
  }
  CAIRN_FUZZ_CHECK(head.is_header_done(), "header parsed without error but not done");

  http::request<http::empty_body>& msg = head.get();
  const unsigned version = msg.version();
  const bool keep_alive = msg.keep_alive();
  const bool body_unread = !head.is_done();
  HttpRequest request;
  request.method = msg.method();
  request.target = std::string(msg.target().data(), msg.target().size());
  auto [path, raw_query] = SplitTarget(request.target);
  request.path = std::string(path);
  Router::Match match = IngestRouter().Find(request.method, request.path);
  if (match.handler == nullptr) {
    CAIRN_FUZZ_CHECK(match.error_status == 404 || match.error_status == 405, "no route, no status");
    CAIRN_FUZZ_CHECK((match.error_status == 405) == !match.allow.empty(), "Allow out of step");
    HttpResponse r =
        match.error_status == 405
            ? ErrorResponse(405, "method_not_allowed", "not allowed on " + request.path)
            : ErrorResponse(404, "not_found", "no such resource: " + request.path);
    if (match.error_status == 405) r.headers.emplace_back("Allow", match.allow);
    Answer(std::move(r), version, keep_alive && !body_unread);
    return keep_alive && !body_unread;
  }
  for (const auto& [name, value] : match.params) {
    CAIRN_FUZZ_CHECK(!value.empty() && value.find('/') == std::string::npos,
                     "route parameter " + name + " is '" + value + "'");
  }
  auto query = ParseQuery(raw_query);
  if (!query.ok()) {
    CAIRN_FUZZ_CHECK(query.error().IsInvalidArgument(), query.error().ToString());
    Answer(ErrorResponse(query.error()), version, keep_alive && !body_unread);
    return keep_alive && !body_unread;
  }
  request.query = std::move(*query);
  request.params = std::move(match.params);

  if (body_unread) {
    const std::uint64_t max_body = match.options.max_body_bytes;
    if (auto length = head.content_length(); length && *length > max_body) {
      Answer(ErrorResponse(413, "body_too_large", "too large"), version, false);
      return false;
    }
    http::request_parser<http::string_body> body(std::move(head));
    body.body_limit(max_body);
    while (!body.is_done()) {
      used = body.put(asio::buffer(in.data(), in.size()), ec);
      in.remove_prefix(used);
      if (ec == http::error::need_more || (!ec && used == 0)) {
        // The bytes ran out: the client closed. Beast's read_some then
        // calls put_eof, which completes a body that runs to end of stream.
        body.put_eof(ec);
        if (ec || !body.is_done()) return false;
        break;
      }
      if (ec == http::error::body_limit) {
        Answer(ErrorResponse(413, "body_too_large", "too large"), version, false);
        return false;
      }
      if (ec) {
        CAIRN_FUZZ_CHECK(IsMalformed(ec), "unexpected body parse error: " + ec.message());
        Answer(ErrorResponse(400, "bad_request", "malformed request body: " + ec.message()),
               version, false);
        return false;
      }
    }
    request.body = std::move(body.get().body());
    CAIRN_FUZZ_CHECK(request.body.size() <= max_body, "body over the route's limit");
    request.headers = std::move(static_cast<http::fields&>(body.get()));
  } else {
    request.headers = std::move(static_cast<http::fields&>(msg));
  }
  Answer((*match.handler)(request), version, keep_alive);
  return keep_alive;
}

}  // namespace
}  // namespace cairn

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in = cairn::fuzz::AsText(data, size);
  for (int i = 0; i < cairn::kMaxRequestsPerInput && !in.empty(); ++i) {
    if (!cairn::ServeOne(in)) break;
  }
  return 0;
}
