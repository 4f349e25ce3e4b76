#include "core/base/duration.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace cairn {
namespace {

using std::chrono::seconds;

TEST_CASE("ParseDuration: units s, m, h, d and joined groups", "[unit][config]") {
  const std::vector<std::pair<std::string, std::int64_t>> cases = {
      {"0s", 0},
      {"1s", 1},
      {"60s", 60},
      {"90m", 5400},
      {"24h", 86400},
      {"365d", 31536000},
      {"1h30m", 5400},
      {"1d1h1m1s", 90061},
      {"007s", 7},
      {"2h2h", 14400},
      {"36500d", 3153600000},
  };
  for (const auto& [text, secs] : cases) {
    INFO(text);
    auto d = ParseDuration(text);
    INFO(d.status().ToString());
    REQUIRE(d.ok());
    CHECK(d->count() == secs);
  }
}

TEST_CASE("ParseDuration: malformed text is refused with the accepted form", "[unit][config]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "it is empty"},
      {"60", "has no unit"},
      {"1h30", "has no unit"},
      {"s", "expected a number"},
      {"-5s", "expected a number"},
      {"1.5h", "unknown unit '.'"},
      {"5 s", "unknown unit ' '"},
      {" 5s", "expected a number"},
      {"5S", "unknown unit 'S'"},
      {"2w", "unknown unit 'w'"},
      {"5ms", "expected a number"},  // "5m" then "s" without a number
      {"36601d", "longer than 100 years"},
      {"99999999999999999999999s", "longer than 100 years"},
      {"36600d1d", "longer than 100 years"},
  };
  for (const auto& [text, why] : cases) {
    INFO(text);
    auto d = ParseDuration(text);
    REQUIRE_FALSE(d.ok());
    CHECK(d.error().IsInvalidArgument());
    INFO(d.error().message());
    CHECK(d.error().message().find(why) != std::string::npos);
    CHECK(d.error().message().find("e.g. \"60s\"") != std::string::npos);
  }
}

TEST_CASE("FormatDuration: the shortest text that parses back", "[unit][config]") {
  CHECK(FormatDuration(seconds(0)) == "0s");
  CHECK(FormatDuration(seconds(59)) == "59s");
  CHECK(FormatDuration(seconds(60)) == "1m");
  CHECK(FormatDuration(seconds(90000)) == "1d1h");
  CHECK(FormatDuration(seconds(365 * 86400)) == "365d");
  CHECK(FormatDuration(seconds(-61)) == "-1m1s");
  for (std::int64_t s : {1LL, 61LL, 3599LL, 86401LL, 1234567LL, 3153600000LL}) {
    INFO(s);
    auto back = ParseDuration(FormatDuration(seconds(s)));
    REQUIRE(back.ok());
    CHECK(back->count() == s);
  }
}

}  // namespace
}  // namespace cairn
