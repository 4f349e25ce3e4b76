#include "core/base/duration.h"

#include <cstdint>
#include <utility>

namespace cairn {
namespace {

constexpr std::int64_t kMinute = 60;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = 24 * kHour;
constexpr std::int64_t kMaxSeconds = 100 * 366 * kDay;

constexpr std::string_view kForm =
    "expected a whole number followed by s, m, h or d, e.g. \"60s\", \"24h\", \"365d\" or "
    "\"1h30m\"";

Status Invalid(std::string_view text, std::string_view why) {
  return Status::InvalidArgument("invalid duration \"" + std::string(text.substr(0, 64)) +
                                 "\": " + std::string(why) + "; " + std::string(kForm));
}

std::int64_t UnitSeconds(char unit) {
  switch (unit) {
    case 's':
      return 1;
    case 'm':
      return kMinute;
    case 'h':
      return kHour;
    case 'd':
      return kDay;
    default:
      return 0;
  }
}

}  // namespace

Result<std::chrono::seconds> ParseDuration(std::string_view text) {
  if (text.empty()) return Invalid(text, "it is empty");
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t digits_start = i;
    std::int64_t n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      // Stop accumulating long before overflow; the total check refuses it.
      if (n <= kMaxSeconds) n = n * 10 + (text[i] - '0');
      ++i;
    }
    if (i == digits_start) {
      return Invalid(text, "expected a number at \"" + std::string(text.substr(i, 16)) + "\"");
    }
    if (i == text.size()) return Invalid(text, "the number at the end has no unit");
    const std::int64_t unit = UnitSeconds(text[i]);
    if (unit == 0) {
      return Invalid(text, "unknown unit '" + std::string(1, text[i]) + "'");
    }
    ++i;
    if (n > kMaxSeconds / unit || total + n * unit > kMaxSeconds) {
      return Invalid(text, "longer than 100 years");
    }
    total += n * unit;
  }
  return std::chrono::seconds(total);
}

std::string FormatDuration(std::chrono::seconds d) {
  const std::int64_t count = d.count();
  if (count == 0) return "0s";
  std::string out;
  // Magnitude in unsigned arithmetic: -INT64_MIN does not fit in int64.
  std::uint64_t s = static_cast<std::uint64_t>(count);
  if (count < 0) {
    out = "-";
    s = 0 - s;
  }
  const std::pair<std::uint64_t, char> units[] = {
      {kDay, 'd'}, {kHour, 'h'}, {kMinute, 'm'}, {1, 's'}};
  for (const auto& [size, name] : units) {
    if (s >= size) {
      out += std::to_string(s / size);
      out += name;
      s %= size;
    }
  }
  return out;
}

}  // namespace cairn
