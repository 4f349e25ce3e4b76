#include "core/net/https_url.h"

#include <catch2/catch.hpp>

namespace cairn {
namespace {

HttpsEndpoint MustParse(std::string_view url) {
  auto r = ParseHttpsUrl(url);
  INFO(url << " -> " << r.status().ToString());
  REQUIRE(r.ok());
  return *r;
}

std::string RefusalOf(std::string_view url) {
  auto r = ParseHttpsUrl(url);
  INFO(url);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().IsInvalidArgument());
  return r.error().message();
}

TEST_CASE("ParseHttpsUrl: host, port, IPv6 brackets and a trailing slash are understood",
          "[unit][net]") {
  auto a = MustParse("https://10.0.0.2:8443");
  CHECK(a.host == "10.0.0.2");
  CHECK(a.port == 8443);
  auto b = MustParse("https://Appliance.Example.COM/");
  CHECK(b.host == "appliance.example.com");
  CHECK(b.port == 443);
  auto c = MustParse("https://[::1]:9443/");
  CHECK(c.host == "::1");
  CHECK(c.port == 9443);
  auto d = MustParse("HTTPS://[fe80::1]");
  CHECK(d.host == "fe80::1");
  CHECK(d.port == 443);
  CHECK(MustParse("https://cairn:1").port == 1);
  CHECK(MustParse("https://cairn:65535").port == 65535);
}

TEST_CASE("ParseHttpsUrl: plain http and other schemes are refused with what to write instead",
          "[unit][net]") {
  std::string http = RefusalOf("http://10.0.0.2:8443");
  CHECK(http.find("plain http:// is refused") != std::string::npos);
  CHECK(http.find("https://host:port") != std::string::npos);
  CHECK(RefusalOf("ftp://host").find("unsupported scheme 'ftp'") != std::string::npos);
  CHECK(RefusalOf("10.0.0.2:8443").find("no scheme") != std::string::npos);
}

TEST_CASE("ParseHttpsUrl: paths, credentials, bad ports and bad hosts are refused", "[unit][net]") {
  CHECK(RefusalOf("https://host/api").find("path") != std::string::npos);
  CHECK(RefusalOf("https://host?x=1").find("query") != std::string::npos);
  CHECK(RefusalOf("https://user:pw@host").find("credentials") != std::string::npos);
  CHECK(RefusalOf("https://host:0").find("1 to 65535") != std::string::npos);
  CHECK(RefusalOf("https://host:65536").find("1 to 65535") != std::string::npos);
  CHECK(RefusalOf("https://host:99999999999999999999").find("1 to 65535") != std::string::npos);
  CHECK(RefusalOf("https://host:8a").find("1 to 65535") != std::string::npos);
  CHECK(RefusalOf("https://host:").find("empty port") != std::string::npos);
  CHECK(RefusalOf("https://:8443").find("no host") != std::string::npos);
  CHECK(RefusalOf("https://").find("no host") != std::string::npos);
  CHECK(RefusalOf("https://::1:8443").find("brackets") != std::string::npos);
  CHECK(RefusalOf("https://[::1").find("']'") != std::string::npos);
  CHECK(RefusalOf("https://[not-v6]:1").find("not an IPv6 address") != std::string::npos);
  CHECK(RefusalOf("https://[::1]x").find("':port'") != std::string::npos);
  CHECK(RefusalOf("https://bad_host!:1").find("not a valid host") != std::string::npos);
  CHECK(RefusalOf("https://10.0.0.300").find("not a valid host") != std::string::npos);
  CHECK(RefusalOf("https://a..b").find("not a valid host") != std::string::npos);
}

TEST_CASE("FormatHostPort and IsIpLiteral: brackets for IPv6, IP literals recognised",
          "[unit][net]") {
  CHECK(FormatHostPort({"::1", 8443}) == "[::1]:8443");
  CHECK(FormatHostPort({"10.0.0.2", 443}) == "10.0.0.2:443");
  CHECK(IsIpLiteral("127.0.0.1"));
  CHECK(IsIpLiteral("::1"));
  CHECK_FALSE(IsIpLiteral("localhost"));
  CHECK_FALSE(IsIpLiteral("127.1"));
}

}  // namespace
}  // namespace cairn
