#include "appliance/server/router.h"

#include <algorithm>
#include <cassert>

namespace cairn {
namespace {

// "/a/b/c" -> {"a","b","c"}; "/" -> {""}; "/a/" -> {"a",""}. Empty segments
// are kept so "/a//b" cannot match "/a/b" or "/a/{x}/b" by accident.
std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  if (path.empty() || path.front() != '/') return parts;  // matches nothing
  path.remove_prefix(1);
  for (;;) {
    std::size_t slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

}  // namespace

void Router::Add(http::verb method, std::string pattern, HttpHandler handler,
                 RouteOptions options) {
  assert(!pattern.empty() && pattern.front() == '/' && "route pattern must start with '/'");
  Route route{method, pattern, {}, std::move(handler), options};
  for (std::string_view part : SplitPath(pattern)) {
    Segment seg;
    if (!part.empty() && part.front() == '{') {
      assert(part.size() > 2 && part.back() == '}' && "route parameter must be {name}");
      seg.is_param = true;
      seg.text = std::string(part.substr(1, part.size() - 2));
    } else {
      assert(part.find_first_of("{}") == std::string_view::npos && "stray brace in route");
      // "/" alone is the one pattern allowed an empty segment (the root).
      assert((!part.empty() || pattern == "/") && "empty segment in route pattern");
      seg.text = std::string(part);
    }
    route.segments.push_back(std::move(seg));
  }
  for (const Route& r : routes_) {
    bool same_shape =
        r.method == method && r.segments.size() == route.segments.size() &&
        std::equal(r.segments.begin(), r.segments.end(), route.segments.begin(),
                   [](const Segment& a, const Segment& b) {
                     return a.is_param == b.is_param && (a.is_param || a.text == b.text);
                   });
    assert(!same_shape && "route added twice");
    (void)same_shape;
  }
  routes_.push_back(std::move(route));
}

bool Router::Matches(const Route& route, const std::vector<std::string_view>& parts,
                     std::map<std::string, std::string>* params) {
  if (route.segments.size() != parts.size()) return false;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const Segment& seg = route.segments[i];
    if (seg.is_param ? parts[i].empty() : parts[i] != seg.text) return false;
  }
  if (params != nullptr) {
    params->clear();
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (route.segments[i].is_param) (*params)[route.segments[i].text] = std::string(parts[i]);
    }
  }
  return true;
}

bool Router::MoreSpecific(const Route& a, const Route& b) {
  for (std::size_t i = 0; i < a.segments.size() && i < b.segments.size(); ++i) {
    if (a.segments[i].is_param != b.segments[i].is_param) return !a.segments[i].is_param;
  }
  return false;
}

Router::Match Router::Find(http::verb method, std::string_view path) const {
  Match match;
  std::vector<std::string_view> parts = SplitPath(path);
  const Route* best = nullptr;
  std::vector<http::verb> allowed;
  for (const Route& r : routes_) {
    if (!Matches(r, parts, nullptr)) continue;
    allowed.push_back(r.method);
    if (r.method == method && (best == nullptr || MoreSpecific(r, *best))) best = &r;
  }
  if (best != nullptr) {
    Matches(*best, parts, &match.params);
    match.handler = &best->handler;
    match.options = best->options;
    return match;
  }
  if (allowed.empty()) {
    match.error_status = 404;
    return match;
  }
  match.error_status = 405;
  std::vector<std::string_view> names;
  for (http::verb v : allowed) {
    beast::string_view name = http::to_string(v);  // boost::string_view at Boost 1.74
    names.emplace_back(name.data(), name.size());
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  for (std::string_view n : names) {
    if (!match.allow.empty()) match.allow += ", ";
    match.allow += n;
  }
  return match;
}

}  // namespace cairn
