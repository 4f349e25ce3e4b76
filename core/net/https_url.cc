#include "core/net/https_url.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace cairn {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

Status Refuse(std::string_view url, std::string_view why) {
  std::string msg = "URL '";
  msg += url;
  msg += "': ";
  msg += why;
  return Status::InvalidArgument(std::move(msg));
}

// RFC 1123 host names: letters, digits, '-' and '.', labels not empty. An
// underscore is tolerated because internal DNS zones use it in practice.
bool IsValidDnsName(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  std::size_t label = 0;
  for (char c : host) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    if (!ok || ++label > 63) return false;
  }
  // An all-numeric last label ("10.0.0.300", "127.1") is a mistyped address,
  // which getaddrinfo would otherwise reinterpret in surprising ways.
  std::string_view trimmed = host.back() == '.' ? host.substr(0, host.size() - 1) : host;
  std::string_view last = trimmed.substr(trimmed.rfind('.') + 1);
  return !std::all_of(last.begin(), last.end(),
                      [](char c) { return c >= '0' && c <= '9'; });  // a trailing '.' is fine
}

}  // namespace

bool IsIpLiteral(std::string_view host) {
  // inet_pton is strict (no "127.1", no scope ids), which is what we want
  // for matching certificate IP SANs.
  std::string s(host);
  unsigned char buf[16];
  return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

std::string FormatHostPort(const HttpsEndpoint& endpoint) {
  std::string out;
  bool v6 = endpoint.host.find(':') != std::string::npos;
  if (v6) out += '[';
  out += endpoint.host;
  if (v6) out += ']';
  out += ':';
  out += std::to_string(endpoint.port);
  return out;
}

std::string HostHeaderValue(const HttpsEndpoint& endpoint) {
  std::string host = FormatHostPort(endpoint);
  if (endpoint.port == (endpoint.tls ? kDefaultHttpsPort : kDefaultHttpPort)) {
    host.resize(host.rfind(':'));
  }
  return host;
}

namespace {

Result<HttpsEndpoint> ParseUrl(std::string_view url, bool allow_http) {
  const std::string_view kHint =
      allow_http ? "write it as http://host:port or https://host:port (for example "
                   "https://10.0.0.2:8443)"
                 : "write it as https://host:port (for example https://10.0.0.2:8443)";
  std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return Refuse(url, std::string("no scheme; ") + std::string(kHint));
  }
  std::string scheme = Lower(url.substr(0, scheme_end));
  HttpsEndpoint endpoint;
  if (scheme == "http" && allow_http) {
    endpoint.tls = false;
  } else if (scheme == "http") {
    return Refuse(url, std::string("plain http:// is refused: the appliance only speaks HTTPS; ") +
                           std::string(kHint));
  } else if (scheme != "https") {
    return Refuse(url, "unsupported scheme '" + scheme + "'; " + std::string(kHint));
  }

  std::string_view rest = url.substr(scheme_end + 3);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find_first_of("/?#") != std::string_view::npos) {
    return Refuse(url, "a path, query or fragment is not allowed; give only https://host:port");
  }
  if (rest.find('@') != std::string_view::npos) {
    return Refuse(url, "credentials in the URL are not allowed");
  }

  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {
    std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return Refuse(url, "missing ']' after the IPv6 address");
    std::string host(rest.substr(1, close - 1));
    unsigned char buf[16];
    if (::inet_pton(AF_INET6, host.c_str(), buf) != 1) {
      return Refuse(url, "'" + host + "' is not an IPv6 address");
    }
    endpoint.host = std::move(host);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Refuse(url, "expected ':port' after ']'");
      port_text = after.substr(1);
      if (port_text.empty()) return Refuse(url, "empty port after ':'");
    }
  } else {
    std::size_t colon = rest.find(':');
    std::string_view host = rest.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_text = rest.substr(colon + 1);
      if (port_text.empty()) return Refuse(url, "empty port after ':'");
      if (port_text.find(':') != std::string_view::npos) {
        return Refuse(url, "an IPv6 address must be written in brackets: https://[::1]:8443");
      }
    }
    if (host.empty()) return Refuse(url, "no host; " + std::string(kHint));
    if (!IsIpLiteral(host) && !IsValidDnsName(host)) {
      return Refuse(url, "'" + std::string(host) + "' is not a valid host name or IP address");
    }
    endpoint.host = Lower(host);
  }

  if (port_text.empty()) {
    endpoint.port = endpoint.tls ? kDefaultHttpsPort : kDefaultHttpPort;
  } else {
    unsigned long port = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9' || port > 65535) {
        return Refuse(url, "port '" + std::string(port_text) + "' is not a number from 1 to 65535");
      }
      port = port * 10 + static_cast<unsigned long>(c - '0');
    }
    if (port == 0 || port > 65535) {
      return Refuse(url, "port '" + std::string(port_text) + "' is not a number from 1 to 65535");
    }
    endpoint.port = static_cast<std::uint16_t>(port);
  }
  return endpoint;
}

}  // namespace

Result<HttpsEndpoint> ParseHttpsUrl(std::string_view url) { return ParseUrl(url, false); }

Result<HttpsEndpoint> ParseHttpUrl(std::string_view url) { return ParseUrl(url, true); }

}  // namespace cairn
