// Router: maps (method, path) to the handler registered for a pattern such as
// "/v1/snapshots/{id}/manifest".
//
// A pattern is '/' followed by segments separated by '/'; a segment is either
// literal text or "{name}", which matches exactly one non-empty path segment
// and is captured raw (percent-decoding is not applied, as for
// HttpRequest::path). When several patterns match a path, the one whose first
// differing segment is literal wins ("/v1/snapshots/latest" beats
// "/v1/snapshots/{id}"), whatever the order they were added in.
//
// Thread-safety: Add() all routes first, on one thread; afterwards Find() is
// const and may be called from any number of threads. A Router must outlive
// every HttpServer using it (Find() returns pointers into it).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/server/http_types.h"
#include "core/net/asio.h"

namespace cairn {

// Runs on the worker pool and may block (SQLite, fsync). Called concurrently
// for concurrent requests, so whatever it captures must be thread-safe.
using HttpHandler = std::function<HttpResponse(HttpRequest&)>;

struct RouteOptions {
  // Largest request body accepted; beyond it the server answers 413 and
  // closes the connection. The whole body is held in memory: routes that take
  // large uploads should raise it knowingly, not to "unlimited".
  std::uint64_t max_body_bytes = 64 << 10;
};

class Router {
 public:
  // A malformed pattern (not starting with '/', an empty segment, an unnamed
  // or unclosed "{") or the same (method, pattern shape) twice is a
  // programming error and asserts: routes are fixed at build time.
  void Add(http::verb method, std::string pattern, HttpHandler handler, RouteOptions options = {});

  // handler == nullptr means no route: error_status is 404 when no pattern
  // matches the path, 405 when one does but not for this method, and `allow`
  // then lists the methods it has ("GET, POST").
  struct Match {
    const HttpHandler* handler = nullptr;
    RouteOptions options;
    std::map<std::string, std::string> params;
    unsigned error_status = 0;
    std::string allow;
  };
  Match Find(http::verb method, std::string_view path) const;

 private:
  struct Segment {
    bool is_param = false;
    std::string text;  // literal text, or the parameter's name
  };
  struct Route {
    http::verb method;
    std::string pattern;
    std::vector<Segment> segments;
    HttpHandler handler;
    RouteOptions options;
  };

  // Fills `params` when route matches the already split path.
  static bool Matches(const Route& route, const std::vector<std::string_view>& parts,
                      std::map<std::string, std::string>* params);
  // True when a is preferred over b for the same path (literal beats param at
  // the first segment where they differ).
  static bool MoreSpecific(const Route& a, const Route& b);

  std::vector<Route> routes_;
};

}  // namespace cairn
