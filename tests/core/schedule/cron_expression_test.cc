#include "core/schedule/cron_expression.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace cairn {
namespace {

// Unix seconds of a UTC date-time, via the formatter's inverse for the few
// dates these tests need: days from civil (Howard Hinnant's algorithm).
std::int64_t Utc(int y, unsigned m, unsigned d, int hh = 0, int mm = 0, int ss = 0) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = era * 146097 + static_cast<std::int64_t>(doe) - 719468;
  return days * 86400 + hh * 3600 + mm * 60 + ss;
}

CronExpression ParseOrDie(const std::string& text) {
  auto c = CronExpression::Parse(text);
  INFO(text << ": " << c.status().ToString());
  REQUIRE(c.ok());
  return *c;
}

// The next `n` fire times after `from`, formatted.
std::vector<std::string> Fires(const std::string& text, std::int64_t from, int n) {
  CronExpression c = ParseOrDie(text);
  std::vector<std::string> out;
  std::int64_t t = from;
  for (int i = 0; i < n; ++i) {
    auto next = c.Next(t);
    REQUIRE(next.ok());
    REQUIRE(*next > t);
    CHECK(c.Matches(*next));
    out.push_back(FormatUnixUtc(*next));
    t = *next;
  }
  return out;
}

std::string ErrorOf(const std::string& text) {
  auto c = CronExpression::Parse(text);
  INFO(text);
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().IsInvalidArgument());
  return c.error().message();
}

bool Has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST_CASE("CronExpression: the formatter and the test's civil clock agree", "[unit]") {
  CHECK(FormatUnixUtc(0) == "1970-01-01T00:00:00Z");
  CHECK(FormatUnixUtc(Utc(2024, 2, 29, 23, 59, 58)) == "2024-02-29T23:59:58Z");
  CHECK(FormatUnixUtc(1'700'000'000) == "2023-11-14T22:13:20Z");
}

TEST_CASE("CronExpression: a table of expressions fires at the expected times", "[unit]") {
  const std::int64_t from = Utc(2024, 1, 1, 0, 0, 0);  // a Monday
  struct Row {
    std::string cron;
    std::vector<std::string> fires;
  };
  const std::vector<Row> rows = {
      {"*/15 * * * *", {"2024-01-01T00:15:00Z", "2024-01-01T00:30:00Z", "2024-01-01T00:45:00Z",
                        "2024-01-01T01:00:00Z"}},
      {"0 3 * * *", {"2024-01-01T03:00:00Z", "2024-01-02T03:00:00Z"}},
      {"30 1-10/3 * * *", {"2024-01-01T01:30:00Z", "2024-01-01T04:30:00Z",
                           "2024-01-01T07:30:00Z", "2024-01-01T10:30:00Z",
                           "2024-01-02T01:30:00Z"}},
      {"0 0 * * MON-FRI", {"2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z",
                           "2024-01-04T00:00:00Z", "2024-01-05T00:00:00Z",
                           "2024-01-08T00:00:00Z"}},
      {"0 12 * FEB sun", {"2024-02-04T12:00:00Z", "2024-02-11T12:00:00Z"}},
      {"0 0 * * 7", {"2024-01-07T00:00:00Z"}},  // 7 is Sunday, as 0
      {"0 0 1,15 * *", {"2024-01-15T00:00:00Z", "2024-02-01T00:00:00Z"}},
      // Vixie: both day fields restricted -> either matches.
      {"0 0 13 * FRI", {"2024-01-05T00:00:00Z", "2024-01-12T00:00:00Z",
                        "2024-01-13T00:00:00Z", "2024-01-19T00:00:00Z"}},
      // Day of week '*' (or a '*/n' step) leaves the day of month alone in charge.
      {"0 0 13 * *", {"2024-01-13T00:00:00Z", "2024-02-13T00:00:00Z"}},
      {"0 0 13 * */1", {"2024-01-13T00:00:00Z", "2024-02-13T00:00:00Z"}},
      {"0 0 29 2 *", {"2024-02-29T00:00:00Z", "2028-02-29T00:00:00Z"}},
      {"5/20 0 * * *", {"2024-01-01T00:05:00Z", "2024-01-01T00:25:00Z",
                        "2024-01-01T00:45:00Z", "2024-01-02T00:05:00Z"}},
      {"@hourly", {"2024-01-01T01:00:00Z", "2024-01-01T02:00:00Z"}},
      {"@daily", {"2024-01-02T00:00:00Z"}},
      {"@weekly", {"2024-01-07T00:00:00Z", "2024-01-14T00:00:00Z"}},
      {"@monthly", {"2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"}},
      {"@yearly", {"2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"}},
      // Six fields: a leading seconds field.
      {"*/3 * * * * *", {"2024-01-01T00:00:03Z", "2024-01-01T00:00:06Z",
                         "2024-01-01T00:00:09Z"}},
      {"10,50 0 0 * * *", {"2024-01-01T00:00:10Z", "2024-01-01T00:00:50Z",
                           "2024-01-02T00:00:10Z"}},
  };
  for (const Row& row : rows) {
    INFO(row.cron);
    CHECK(Fires(row.cron, from, static_cast<int>(row.fires.size())) == row.fires);
  }
}

TEST_CASE("CronExpression: Next is strictly after, and crosses years and leap days", "[unit]") {
  CronExpression every_minute = ParseOrDie("* * * * *");
  const std::int64_t t = Utc(2023, 12, 31, 23, 59, 0);
  CHECK(*every_minute.Next(t) == Utc(2024, 1, 1, 0, 0, 0));
  CHECK(*every_minute.Next(t - 1) == t);
  CHECK(FormatUnixUtc(*ParseOrDie("0 0 29 2 *").Next(Utc(2024, 3, 1))) == "2028-02-29T00:00:00Z");
  // 2100 is not a leap year: eight years from 2096 to 2104.
  CHECK(FormatUnixUtc(*ParseOrDie("0 0 29 2 *").Next(Utc(2096, 3, 1))) == "2104-02-29T00:00:00Z");
  CHECK(ParseOrDie("*/3 * * * * *").has_seconds_field());
  CHECK_FALSE(ParseOrDie("* * * * *").has_seconds_field());
}

TEST_CASE("CronExpression: malformed expressions name the field, the value and what is allowed",
          "[unit]") {
  std::string e = ErrorOf("0 25 * * *");
  CHECK(Has(e, "hour"));
  CHECK(Has(e, "\"25\""));
  CHECK(Has(e, "0-23"));
  e = ErrorOf("* * * * * * *");
  CHECK(Has(e, "expected 5 fields"));
  CHECK(Has(e, "got 7"));
  CHECK(Has(ErrorOf("* * *"), "got 3"));
  CHECK(Has(ErrorOf(""), "got 0"));
  e = ErrorOf("* * * FOO *");
  CHECK(Has(e, "month"));
  CHECK(Has(e, "JAN-DEC"));
  e = ErrorOf("* * * * MON-SUNDAY");
  CHECK(Has(e, "day-of-week"));
  CHECK(Has(ErrorOf("* * * * FRI-MON"), "backwards"));
  CHECK(Has(ErrorOf("*/0 * * * *"), "step"));
  CHECK(Has(ErrorOf("*/61 * * * *"), "step"));
  CHECK(Has(ErrorOf("1,,2 * * * *"), "empty list item"));
  CHECK(Has(ErrorOf("* * 0 * *"), "day-of-month"));
  CHECK(Has(ErrorOf("60 * * * * *"), "second"));
  CHECK(Has(ErrorOf("@reboot"), "unknown macro"));
  CHECK(Has(ErrorOf("0 0 31 2,4 *"), "never"));
  CHECK(Has(ErrorOf("-5 * * * *"), "minute"));
  CHECK(Has(ErrorOf("5- * * * *"), "minute"));
  CHECK(Has(ErrorOf("99999999999 * * * *"), "not a number"));
  // Day 31 in February with a day-of-week restriction still fires (on the weekdays).
  CHECK(CronExpression::Parse("0 0 31 2 MON").ok());
}

}  // namespace
}  // namespace cairn
