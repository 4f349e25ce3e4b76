// The structured logger: one line per event, `<level> <event> key=value ...`,
// written to stderr (journald stores it with its own timestamp, so the line
// carries none). Log at subsystem boundaries, not in hot loops, and never log
// secrets (keys, passphrases, tokens, private key PEM).
//
//   Log(LogLevel::kWarn, "sync_retry", {{"target", url}, {"attempt", 3}});
//   -> warn sync_retry target=https://10.0.0.2:8443 attempt=3
//
// Values are written bare unless they are empty or contain a space, a double
// quote, `=` or a control character; then they are quoted with "" and `"`,
// `\` and control characters are escaped (\" \\ \n \r \t \xHH), so a line
// always splits back into exactly its fields. Event names and keys are
// identifiers chosen by the code: characters that would break the format are
// replaced with '_'. A value longer than kMaxLogValueBytes is cut there (and
// says so), so a runaway peer-supplied string cannot flood the journal.
//
// Thread-safety: every function may be called from any thread. Each line is
// handed to the kernel in one write(2) under a process-wide mutex, so lines
// from different threads never interleave (and a line below PIPE_BUF never
// interleaves with other processes writing to the same pipe either).
#pragma once

#include <concepts>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>

namespace cairn {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

// Longest value written; longer ones are truncated with a marker.
inline constexpr std::size_t kMaxLogValueBytes = 4096;

// Integer types a LogField prints in decimal. bool and the character types
// are excluded on purpose: a bool prints as true/false, and a char is text
// that should be passed as a string (uint8_t/int8_t are numbers and print so).
template <typename T>
concept LogInteger = std::integral<T> && !std::same_as<T, bool> && !std::same_as<T, char> &&
                     !std::same_as<T, char8_t> && !std::same_as<T, char16_t> &&
                     !std::same_as<T, char32_t> && !std::same_as<T, wchar_t>;

// One key=value pair. `key` is a view: a LogField lives only for the Log call
// it is written in (the initializer_list temporaries), never store one.
struct LogField {
  LogField(std::string_view k, std::string v) : key(k), value(std::move(v)) {}
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v == nullptr ? "" : v) {}
  LogField(std::string_view k, bool v) : key(k), value(v ? "true" : "false") {}
  // Integers print in decimal.
  template <LogInteger I>
  LogField(std::string_view k, I v) : key(k), value(std::to_string(v)) {}

  std::string_view key;
  std::string value;
};

// "debug", "info", "warn", "error": the first word of every line.
std::string_view LogLevelName(LogLevel level);

// Writes one line for `event` when `level` is at or above the minimum level.
// Never fails and never throws: a failed write to stderr has nowhere to go.
void Log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});

// Formats the line Log would write, without the trailing newline. Exposed for
// tests and for callers that need the same encoding elsewhere.
std::string FormatLogLine(LogLevel level, std::string_view event,
                          std::initializer_list<LogField> fields);

// The minimum level written, process-wide; kInfo until changed. This is the
// logger's one global (an atomic): the level is chosen once in main() from a
// flag or config, and threading a logger object through every subsystem only
// to carry that one setting would cost more than it is worth.
void SetMinLogLevel(LogLevel level);
LogLevel MinLogLevel();

// For tests: every line (without its trailing newline) goes to `sink` instead
// of stderr; nullptr restores stderr. The sink is called with the logger's
// mutex held, so calls are serialized and it must not call Log itself.
void TEST_SetLogSink(std::function<void(std::string_view line)> sink);

}  // namespace cairn
