#include "core/base/utc_time.h"

#include <charconv>
#include <ctime>
#include <limits>

namespace cairn {

std::string FormatUtc(std::int64_t unix_ns) {
  std::int64_t secs = unix_ns / kNanosPerSecond;
  if (unix_ns % kNanosPerSecond < 0) --secs;
  const std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  char buf[40];
  if (gmtime_r(&t, &tm) == nullptr ||
      std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
    return "unix " + std::to_string(secs);
  }
  return buf;
}

namespace {

// Reads exactly `digits` decimal digits at `pos`.
bool Digits(std::string_view s, std::size_t pos, std::size_t digits, int& out) {
  if (pos + digits > s.size()) return false;
  const char* first = s.data() + pos;
  auto [end, ec] = std::from_chars(first, first + digits, out);
  return ec == std::errc() && end == first + digits;
}

}  // namespace

Result<std::int64_t> ParseUtc(std::string_view text) {
  auto bad = [&] {
    return Status::InvalidArgument("time '" + std::string(text) +
                                   "' is not valid: give YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)");
  };
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!Digits(text, 0, 4, year) || text.size() < 10 || text[4] != '-' ||
      !Digits(text, 5, 2, month) || text[7] != '-' || !Digits(text, 8, 2, day)) {
    return bad();
  }
  if (text.size() != 10) {
    if (text.size() != 20 || text[10] != 'T' || !Digits(text, 11, 2, hour) || text[13] != ':' ||
        !Digits(text, 14, 2, minute) || text[16] != ':' || !Digits(text, 17, 2, second) ||
        text[19] != 'Z') {
      return bad();
    }
  }
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
      second > 59) {
    return bad();
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::time_t t = timegm(&tm);
  // timegm normalises 31 February into March; a date that moved was not real.
  if (t == static_cast<std::time_t>(-1) || tm.tm_mday != day || tm.tm_mon != month - 1) {
    return bad();
  }
  // Nanoseconds in an int64 end in April 2262; a later date would overflow.
  if (t > std::numeric_limits<std::int64_t>::max() / kNanosPerSecond) {
    return Status::InvalidArgument("time '" + std::string(text) +
                                   "' is later than 2262-04-11, the last date Cairn can represent");
  }
  return static_cast<std::int64_t>(t) * kNanosPerSecond;
}

}  // namespace cairn
