// The values an HTTP handler sees and returns, and the one mapping from
// cairn::Status to an HTTP error response (CONVENTIONS.md "Errors").
//
// HttpRequest/HttpResponse are plain values: the session builds a request on
// the I/O thread and hands it to one handler call on the worker pool, which
// returns a response by value. None of these types is shared between threads
// while in use, so none is synchronized.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "core/net/asio.h"

namespace cairn {

// Who is on the other end of a connection, from a client certificate that
// verified against the listener's client CA. has_certificate is false when
// the client sent none (or the listener does not ask for one); a certificate
// that fails verification never gets this far (the handshake fails).
struct PeerIdentity {
  bool has_certificate = false;
  std::string common_name;
  std::string organization;
  std::string serial_hex;  // lowercase hex, no leading zeros ("0" for zero)
  std::string sha256_hex;  // lowercase hex SHA-256 of the certificate's DER
};

struct HttpRequest {
  http::verb method = http::verb::unknown;
  std::string target;  // raw request-target, as received
  std::string path;    // target without "?query"; percent-decoding NOT applied
  std::map<std::string, std::string> query;   // decoded query parameters
  std::map<std::string, std::string> params;  // from the route pattern, e.g. {id}; raw, like path
  http::fields headers;
  std::string body;
  PeerIdentity peer;
  std::string remote_address;  // the client's IP address (no port)

  // The value of header `name` (case-insensitive); "" when absent.
  std::string header(std::string_view name) const;
  // The query parameter `key`, or nullopt when absent or empty.
  std::optional<std::string> query_value(const std::string& key) const;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";             // empty: no Content-Type header
  std::vector<std::pair<std::string, std::string>> headers;  // added as given, repeats allowed
  std::string body;
  // Streaming body (large downloads). When set, `body` is ignored, the server
  // sends chunked transfer-encoding and calls `stream` repeatedly, one call at
  // a time, on the worker pool; each call returns the next piece, an empty
  // string ends the body, and an error (or exception) aborts the connection:
  // the client sees a truncated chunked body, never a complete-looking one.
  // Needs HTTP/1.1 (an HTTP/1.0 client gets 505). `stream` must stay valid for
  // as long as the server may call it, i.e. own what it reads.
  std::function<Result<std::string>()> stream;
};

// A JSON body with Content-Type application/json. Invalid UTF-8 in strings is
// replaced (U+FFFD) rather than thrown about.
HttpResponse JsonResponse(unsigned status, const nlohmann::json& body);

// The one mapping from Status to HTTP: NotFound 404, AlreadyExists 409,
// InvalidArgument 400, PermissionDenied 403, Unavailable 503 (+ Retry-After:
// 1), Cancelled 503, Corruption 500, IoError 500. Body:
// {"error":{"code":"not_found","message":"<status message>"}}.
// An ok Status is a caller bug and answers 500 "internal".
HttpResponse ErrorResponse(const Status& status);
// For refusals that are not a Status, e.g. 401 "unauthenticated".
HttpResponse ErrorResponse(unsigned http_status, std::string_view code, std::string_view message);

// The JSON error code for a Status code ("not_found", "io_error", ...).
std::string_view ErrorCodeName(Status::Code code);

// Splits a request-target at the first '?': {path, raw query} (query "" when
// there is none). A fragment ('#') is not expected from clients and is kept.
std::pair<std::string_view, std::string_view> SplitTarget(std::string_view target);

// Decodes "a=1&b=x%20y+z" into {a:"1", b:"x y z"} ('+' is a space, as in
// forms). Empty pieces ("a=1&&b=2") are skipped; a key without '=' maps to "".
// InvalidArgument for a bad %-escape, an empty key, or a key given twice
// (a map cannot say which one the client meant).
Result<std::map<std::string, std::string>> ParseQuery(std::string_view query);

}  // namespace cairn
