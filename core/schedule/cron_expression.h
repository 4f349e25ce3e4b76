// CronExpression: when a scheduled job fires, in cron syntax, always in UTC.
// Shared by the agent's backup schedules (agent/schedule, `cairn-agent run`)
// and the appliance's maintenance schedule (appliance/daemon/
// maintenance_scheduler.h, [maintenance] in configs/appliance.toml).
//
// Five fields, as in Vixie cron / crontab(5):
//
//   minute  hour  day-of-month  month  day-of-week
//   0-59    0-23  1-31          1-12   0-7 (0 and 7 are Sunday)
//                               JAN-DEC SUN-SAT (names: any case, in ranges too)
//
// Each field is a comma-separated list of items; an item is `*`, a value
// `N`, or a range `A-B`, optionally followed by a step `/S` (`*/15`,
// `1-10/2`; `A/S` means `A-<max>/S`). Ranges do not wrap (`FRI-MON` is
// refused: write `FRI-SAT,SUN-MON`).
//
// Day of month and day of week follow Vixie cron: when both are restricted
// (neither field starts with `*`) a day matches if EITHER matches
// ("0 0 1,15 * MON" fires on the 1st, the 15th and every Monday); otherwise
// the restricted one decides.
//
// Macros: @yearly (@annually), @monthly, @weekly, @daily (@midnight),
// @hourly. @reboot is refused: neither an agent nor the appliance has a
// meaning for it.
//
// Seconds: a SIX-field form takes a leading seconds field (0-59),
// "*/3 * * * * *" fires every 3 seconds. It exists so tests and end-to-end
// scripts can watch a schedule fire in seconds instead of minutes; the five-
// field form fires at second 0.
//
// Time zone: UTC, always. An agent in a pod has no reliable local zone, and a
// schedule that shifts with daylight saving would skip or repeat runs (a
// nightly gc too).
//
// Thread-safety: an immutable value once parsed; const methods are safe from
// any thread.
#pragma once

#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace cairn {

class CronExpression {
 public:
  // Next() looks this far ahead before it gives up (a valid expression that
  // fires only on 29 February fires at least every 8 years).
  static constexpr int kSearchYears = 9;

  // InvalidArgument naming the field, the offending text and what is
  // allowed, e.g. `cron "0 25 * * *": hour: "25" is out of range 0-23`.
  // An expression that can never fire ("0 0 31 2 *") is refused too.
  static Result<CronExpression> Parse(std::string_view text);

  // The first fire time strictly after `after_unix` (seconds since the Unix
  // epoch, UTC). NotFound only if none lies within kSearchYears (Parse
  // refuses the expressions that never fire, so in practice: never).
  Result<std::int64_t> Next(std::int64_t after_unix) const;

  // Whether `unix_seconds` is a fire time.
  bool Matches(std::int64_t unix_seconds) const;

  const std::string& text() const { return text_; }
  bool has_seconds_field() const { return has_seconds_; }

 private:
  CronExpression() = default;
  bool DayMatches(std::int64_t days_since_epoch) const;
  // Seconds into the day of the first matching time at or after
  // `second_of_day`, or -1 when none is left that day.
  int FirstTimeOfDay(int second_of_day) const;

  std::string text_;
  bool has_seconds_ = false;
  std::bitset<60> seconds_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;  // bit 1..31
  std::bitset<13> months_;         // bit 1..12
  std::bitset<7> days_of_week_;    // bit 0 = Sunday
  bool dom_restricted_ = false;
  bool dow_restricted_ = false;
};

// "2024-05-01T12:00:00Z": a fire time in log lines and state files.
std::string FormatUnixUtc(std::int64_t unix_seconds);

}  // namespace cairn
