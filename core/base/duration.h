// Durations as people write them in configuration files and on the command
// line: "60s", "90m", "24h", "365d", or several joined ("1h30m").
//
//   duration := group+        group := digits unit        unit := s | m | h | d
//
// Whole seconds only (nothing in Cairn's settings needs less); no sign, no
// spaces, no fractions, no bare numbers (is "60" seconds or minutes?). Used
// by the appliance config ([limits] idle_timeout, [enrollment] token_ttl,
// agent_cert_validity), by cairnctl flags such as --ttl, and by retention
// policies (min_age, lock_for).
//
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace cairn {

// InvalidArgument naming the text and the accepted form. Values above 100
// years are refused (also keeps every later conversion to nanoseconds
// within int64).
Result<std::chrono::seconds> ParseDuration(std::string_view text);

// The shortest text ParseDuration reads back as `d`, largest units first:
// 90000s -> "1d1h", 0s -> "0s". Negative durations are written "-" + text
// (not parseable, only for messages).
std::string FormatDuration(std::chrono::seconds d);

}  // namespace cairn
