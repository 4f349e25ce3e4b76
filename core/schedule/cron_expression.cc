#include "core/schedule/cron_expression.h"

#include <array>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <optional>
#include <vector>

namespace cairn {
namespace {

constexpr std::int64_t kSecondsPerDay = 86400;

struct FieldSpec {
  const char* name;
  int min;
  int max;
  // Names accepted for values (index + min), or nullptr.
  const std::array<const char*, 12>* names;
  int name_count;
};

constexpr std::array<const char*, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                     "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<const char*, 12> kDayNames = {"SUN", "MON", "TUE", "WED", "THU",
                                                   "FRI", "SAT", "",    "",    "",
                                                   "",    ""};

const FieldSpec kSecond{"second", 0, 59, nullptr, 0};
const FieldSpec kMinute{"minute", 0, 59, nullptr, 0};
const FieldSpec kHour{"hour", 0, 23, nullptr, 0};
const FieldSpec kDayOfMonth{"day-of-month", 1, 31, nullptr, 0};
const FieldSpec kMonth{"month", 1, 12, &kMonthNames, 12};
// 7 is Sunday too (folded to 0 after parsing).
const FieldSpec kDayOfWeek{"day-of-week", 0, 7, &kDayNames, 7};

class FieldParser {
 public:
  FieldParser(std::string_view expr, const FieldSpec& spec) : expr_(expr), spec_(spec) {}

  // Sets bits value - 0 (bitset indexes are the values themselves).
  template <std::size_t N>
  Status Parse(std::string_view field, std::bitset<N>* out) {
    if (field.empty()) return Error(field, "is empty");
    std::size_t start = 0;
    while (start <= field.size()) {
      std::size_t comma = field.find(',', start);
      if (comma == std::string_view::npos) comma = field.size();
      std::string_view item = field.substr(start, comma - start);
      if (item.empty()) return Error(field, "has an empty list item");
      CAIRN_RETURN_IF_ERROR(ParseItem(item, out));
      start = comma + 1;
    }
    return Status::Ok();
  }

 private:
  Status Error(std::string_view value, std::string_view what) const {
    std::string allowed = std::to_string(spec_.min) + "-" + std::to_string(spec_.max);
    if (spec_.names != nullptr) {
      allowed += std::string(" or ") + (*spec_.names)[0] + "-" +
                 (*spec_.names)[static_cast<std::size_t>(spec_.name_count - 1)];
    }
    return Status::InvalidArgument(
        "cron \"" + std::string(expr_.substr(0, 128)) + "\": " + spec_.name + ": \"" +
        std::string(value.substr(0, 64)) + "\" " + std::string(what) + " (allowed: values " +
        allowed + ", *, lists a,b, ranges a-b, steps */n or a-b/n)");
  }

  Result<int> Value(std::string_view text) const {
    if (text.empty()) return Error(text, "is missing a value");
    if (std::isdigit(static_cast<unsigned char>(text[0]))) {
      int v = 0;
      for (char c : text) {
        if (!std::isdigit(static_cast<unsigned char>(c)) || v > 1000) {
          return Error(text, "is not a number");
        }
        v = v * 10 + (c - '0');
      }
      if (v < spec_.min || v > spec_.max) {
        return Error(text, "is out of range " + std::to_string(spec_.min) + "-" +
                               std::to_string(spec_.max));
      }
      return v;
    }
    if (spec_.names != nullptr && text.size() == 3) {
      for (int i = 0; i < spec_.name_count; ++i) {
        const char* name = (*spec_.names)[static_cast<std::size_t>(i)];
        bool same = true;
        for (std::size_t k = 0; k < 3; ++k) {
          same = same && std::toupper(static_cast<unsigned char>(text[k])) == name[k];
        }
        if (same) return spec_.min + i;
      }
    }
    return Error(text, spec_.names != nullptr ? "is not a number or a name" : "is not a number");
  }

  template <std::size_t N>
  Status ParseItem(std::string_view item, std::bitset<N>* out) {
    std::string_view range = item;
    int step = 1;
    if (std::size_t slash = item.find('/'); slash != std::string_view::npos) {
      range = item.substr(0, slash);
      std::string_view step_text = item.substr(slash + 1);
      int s = 0;
      if (step_text.empty()) return Error(item, "has an empty step");
      for (char c : step_text) {
        if (!std::isdigit(static_cast<unsigned char>(c)) || s > 1000) {
          return Error(item, "has a step that is not a number");
        }
        s = s * 10 + (c - '0');
      }
      if (s < 1 || s > spec_.max - spec_.min + 1) {
        return Error(item, "has a step outside 1-" + std::to_string(spec_.max - spec_.min + 1));
      }
      step = s;
    }
    int lo = spec_.min;
    int hi = spec_.max;
    if (range == "*") {
      // whole range
    } else if (std::size_t dash = range.find('-'); dash != std::string_view::npos) {
      CAIRN_ASSIGN_OR_RETURN(lo, Value(range.substr(0, dash)));
      CAIRN_ASSIGN_OR_RETURN(hi, Value(range.substr(dash + 1)));
      if (lo > hi) return Error(item, "is a range that runs backwards (ranges do not wrap)");
    } else {
      CAIRN_ASSIGN_OR_RETURN(lo, Value(range));
      // "A/S" is "A-max/S"; a plain value is just itself.
      if (item.find('/') == std::string_view::npos) hi = lo;
    }
    for (int v = lo; v <= hi; v += step) out->set(static_cast<std::size_t>(v));
    return Status::Ok();
  }

  std::string_view expr_;
  const FieldSpec& spec_;
};

std::vector<std::string_view> SplitFields(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    std::size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

std::optional<std::string_view> ExpandMacro(std::string_view m) {
  if (m == "@yearly" || m == "@annually") return "0 0 1 1 *";
  if (m == "@monthly") return "0 0 1 * *";
  if (m == "@weekly") return "0 0 * * 0";
  if (m == "@daily" || m == "@midnight") return "0 0 * * *";
  if (m == "@hourly") return "0 * * * *";
  return std::nullopt;
}

// Days of each month in a leap year: the most a day-of-month can reach.
constexpr int kMaxDaysInMonth[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

template <std::size_t N>
int NextSet(const std::bitset<N>& bits, int from) {
  for (int i = from; i < static_cast<int>(N); ++i) {
    if (bits.test(static_cast<std::size_t>(i))) return i;
  }
  return -1;
}

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

}  // namespace

Result<CronExpression> CronExpression::Parse(std::string_view text) {
  CronExpression e;
  e.text_ = std::string(text);
  std::string_view body = text;
  std::vector<std::string_view> fields = SplitFields(body);
  if (fields.size() == 1 && !fields[0].empty() && fields[0][0] == '@') {
    auto expanded = ExpandMacro(fields[0]);
    if (!expanded) {
      return Status::InvalidArgument("cron \"" + std::string(text.substr(0, 128)) +
                                     "\": unknown macro (allowed: @yearly, @annually, @monthly, "
                                     "@weekly, @daily, @midnight, @hourly)");
    }
    fields = SplitFields(*expanded);
  }
  if (fields.size() != 5 && fields.size() != 6) {
    return Status::InvalidArgument(
        "cron \"" + std::string(text.substr(0, 128)) + "\": expected 5 fields (minute hour " +
        "day-of-month month day-of-week), or 6 with a leading seconds field, got " +
        std::to_string(fields.size()));
  }
  std::size_t i = 0;
  if (fields.size() == 6) {
    e.has_seconds_ = true;
    CAIRN_RETURN_IF_ERROR(FieldParser(text, kSecond).Parse(fields[i++], &e.seconds_));
  } else {
    e.seconds_.set(0);
  }
  CAIRN_RETURN_IF_ERROR(FieldParser(text, kMinute).Parse(fields[i++], &e.minutes_));
  CAIRN_RETURN_IF_ERROR(FieldParser(text, kHour).Parse(fields[i++], &e.hours_));
  e.dom_restricted_ = fields[i][0] != '*';
  CAIRN_RETURN_IF_ERROR(FieldParser(text, kDayOfMonth).Parse(fields[i++], &e.days_of_month_));
  CAIRN_RETURN_IF_ERROR(FieldParser(text, kMonth).Parse(fields[i++], &e.months_));
  e.dow_restricted_ = fields[i][0] != '*';
  std::bitset<8> dow;
  CAIRN_RETURN_IF_ERROR(FieldParser(text, kDayOfWeek).Parse(fields[i++], &dow));
  for (std::size_t d = 0; d < 7; ++d) e.days_of_week_[d] = dow[d];
  if (dow[7]) e.days_of_week_.set(0);

  // With only the day of month restricted, some selected month must have
  // one of the selected days, or the expression never fires.
  if (e.dom_restricted_ && !e.dow_restricted_) {
    bool possible = false;
    for (int m = 1; m <= 12 && !possible; ++m) {
      if (!e.months_.test(static_cast<std::size_t>(m))) continue;
      for (int d = 1; d <= kMaxDaysInMonth[m] && !possible; ++d) {
        possible = e.days_of_month_.test(static_cast<std::size_t>(d));
      }
    }
    if (!possible) {
      return Status::InvalidArgument("cron \"" + std::string(text.substr(0, 128)) +
                                     "\": day-of-month and month never meet (e.g. 31 in a "
                                     "30-day month): the schedule would never fire");
    }
  }
  return e;
}

bool CronExpression::DayMatches(std::int64_t days) const {
  using namespace std::chrono;
  const sys_days day{std::chrono::days{days}};
  const year_month_day ymd{day};
  if (!months_.test(static_cast<unsigned>(ymd.month()))) return false;
  const bool dom = days_of_month_.test(static_cast<unsigned>(ymd.day()));
  const bool dow = days_of_week_.test(weekday{day}.c_encoding());
  if (dom_restricted_ && dow_restricted_) return dom || dow;
  if (dom_restricted_) return dom;
  if (dow_restricted_) return dow;
  return true;
}

int CronExpression::FirstTimeOfDay(int second_of_day) const {
  const int h0 = second_of_day / 3600;
  const int m0 = (second_of_day / 60) % 60;
  const int s0 = second_of_day % 60;
  for (int h = NextSet(hours_, h0); h >= 0; h = NextSet(hours_, h + 1)) {
    for (int m = NextSet(minutes_, h == h0 ? m0 : 0); m >= 0; m = NextSet(minutes_, m + 1)) {
      const int s = NextSet(seconds_, (h == h0 && m == m0) ? s0 : 0);
      if (s >= 0) return h * 3600 + m * 60 + s;
    }
  }
  return -1;
}

Result<std::int64_t> CronExpression::Next(std::int64_t after_unix) const {
  const std::int64_t start = after_unix + 1;
  std::int64_t day = FloorDiv(start, kSecondsPerDay);
  int second_of_day = static_cast<int>(start - day * kSecondsPerDay);
  const std::int64_t last_day = day + 366LL * kSearchYears;
  for (; day <= last_day; ++day, second_of_day = 0) {
    if (!DayMatches(day)) continue;
    const int t = FirstTimeOfDay(second_of_day);
    if (t >= 0) return day * kSecondsPerDay + t;
  }
  return Status::NotFound("cron \"" + text_ + "\" does not fire within " +
                          std::to_string(kSearchYears) + " years after " +
                          FormatUnixUtc(after_unix));
}

bool CronExpression::Matches(std::int64_t unix_seconds) const {
  const std::int64_t day = FloorDiv(unix_seconds, kSecondsPerDay);
  const int sod = static_cast<int>(unix_seconds - day * kSecondsPerDay);
  return DayMatches(day) && FirstTimeOfDay(sod) == sod;
}

std::string FormatUnixUtc(std::int64_t unix_seconds) {
  using namespace std::chrono;
  const std::int64_t day = FloorDiv(unix_seconds, kSecondsPerDay);
  const std::int64_t sod = unix_seconds - day * kSecondsPerDay;
  const year_month_day ymd{sys_days{std::chrono::days{day}}};
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(sod / 3600), static_cast<int>((sod / 60) % 60),
                static_cast<int>(sod % 60));
  return buf;
}

}  // namespace cairn
