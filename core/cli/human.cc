#include "core/cli/human.h"

#include <cstdio>
#include <ctime>

namespace cairn {

std::string HumanBytes(std::uint64_t bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes);
  int unit = 0;
  while (v >= 1024.0 && unit < 5) {
    v /= 1024.0;
    ++unit;
  }
  char buf[32];
  if (unit == 0) {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(buf, sizeof buf, "%.2f %s", v, kUnits[unit]);
  }
  return buf;
}

std::string HumanRate(std::uint64_t bytes, double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB/s", seconds > 0 ? bytes / seconds / 1e6 : 0.0);
  return buf;
}

std::string Ratio(double numerator, double denominator) {
  if (denominator <= 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fx", numerator / denominator);
  return buf;
}

std::string HumanTime(std::int64_t unix_nanos) {
  std::time_t t = static_cast<std::time_t>(unix_nanos / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

}  // namespace cairn
