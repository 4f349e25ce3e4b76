// UTC instants as people read and type them: "2027-01-31T12:00:00Z".
// One place for what registry messages, snapshot JSON, key slots and
// retention locks all print, and for the dates an operator gives to
// `--until`.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace cairn {

inline constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

// "2024-05-01T12:00:00Z" (whole seconds, floor for instants before 1970);
// "unix <secs>" when the instant is outside what gmtime can show.
std::string FormatUtc(std::int64_t unix_ns);

// "YYYY-MM-DD" (midnight UTC) or "YYYY-MM-DDTHH:MM:SSZ" -> unix ns.
// Anything else is InvalidArgument naming both accepted forms.
Result<std::int64_t> ParseUtc(std::string_view text);

}  // namespace cairn
