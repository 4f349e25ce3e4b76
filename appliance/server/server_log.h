// The server library's one log call, until core/base/log.h exists: when it
// does, every LogEvent call here becomes its Log(LogLevel, event, {fields})
// and this file and server_log.cc are deleted.
//
// Writes one line per event to stderr, `level event key=value ...`
// (CONVENTIONS.md "Logging"); values with spaces, quotes, '=' or control
// characters are double-quoted with backslash escapes so a line always splits
// back into the same fields. No secrets are ever passed here.
// Thread-safety: callable from any thread; each event is one write(2) so lines
// from different threads do not interleave.
#pragma once

#include <initializer_list>
#include <string_view>
#include <utility>

namespace cairn::server_internal {

enum class LogLevel { kInfo, kWarning, kError };

using LogField = std::pair<std::string_view, std::string_view>;

void LogEvent(LogLevel level, std::string_view event, std::initializer_list<LogField> fields);

}  // namespace cairn::server_internal
