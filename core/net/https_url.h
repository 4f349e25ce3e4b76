// HttpsEndpoint and ParseHttpsUrl: where an agent or the admin CLI finds the
// appliance. Only "https://host[:port][/]" is accepted: the appliance speaks
// nothing but HTTPS, and a URL with a path, query or credentials in it is a
// configuration mistake better refused at load time than half-honoured.
// ParseHttpUrl also accepts http://, for S3 endpoints only: S3-compatible
// servers inside a site (a Ceph RGW behind its own TLS terminator, the test
// servers) are often plain HTTP, and SigV4 still authenticates each request.
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace cairn {

struct HttpsEndpoint {
  std::string host;        // DNS name or IP literal; IPv6 without brackets ("::1")
  std::uint16_t port = 0;  // 1..65535 once parsed
  bool tls = true;         // false only for an http:// URL given to ParseHttpUrl
};

inline constexpr std::uint16_t kDefaultHttpsPort = 443;
inline constexpr std::uint16_t kDefaultHttpPort = 80;

// Accepts "https://host", "https://host:port", "https://[v6addr]:port", each
// with an optional trailing "/". The scheme is case-insensitive; the port
// defaults to 443. http:// and every other scheme are refused with a message
// saying what to write instead (InvalidArgument).
Result<HttpsEndpoint> ParseHttpsUrl(std::string_view url);

// As ParseHttpsUrl, but "http://host[:port]" is accepted too (port 80 by
// default, tls = false). For S3 endpoints; the appliance never uses it.
Result<HttpsEndpoint> ParseHttpUrl(std::string_view url);

// True when `host` is an IPv4 or IPv6 literal (without brackets). Such hosts
// get no SNI and are matched against the certificate's IP SANs.
bool IsIpLiteral(std::string_view host);

// "host:port", with brackets around an IPv6 literal ("[::1]:8443"): for error
// messages, logs and the Host header.
std::string FormatHostPort(const HttpsEndpoint& endpoint);

// The Host header HttpsClient sends: FormatHostPort without the scheme's
// default port ("s3.example.com", "127.0.0.1:7480"). Request signers (S3
// SigV4) sign exactly this value.
std::string HostHeaderValue(const HttpsEndpoint& endpoint);

}  // namespace cairn
