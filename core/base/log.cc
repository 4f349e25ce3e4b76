#include "core/base/log.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <utility>

namespace cairn {
namespace {

std::atomic<LogLevel> g_min_level{LogLevel::kInfo};

// Serializes writes (so a line that the kernel splits, e.g. a partial write
// to a full pipe, still reaches the reader whole) and guards the test sink.
// Never destroyed: threads may still log while static destructors run.
struct Output {
  std::mutex mu;
  std::function<void(std::string_view)> sink;  // empty: write to stderr
};

Output& GetOutput() {
  static Output* const output = new Output;
  return *output;
}

bool NeedsQuoting(std::string_view v) {
  if (v.empty()) return true;
  for (unsigned char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

void AppendEscaped(std::string& out, std::string_view v) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (unsigned char c : v) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

// Event names and keys are code-chosen identifiers; anything that would
// break the line's grammar becomes '_' instead of being quoted.
void AppendIdentifier(std::string& out, std::string_view id) {
  if (id.empty()) {
    out += '_';
    return;
  }
  for (unsigned char c : id) {
    bool bad = c <= 0x20 || c == 0x7f || c == '"' || c == '=';
    out += bad ? '_' : static_cast<char>(c);
  }
}

void AppendValue(std::string& out, std::string_view v) {
  std::string truncated;
  if (v.size() > kMaxLogValueBytes) {
    truncated.assign(v.substr(0, kMaxLogValueBytes));
    truncated += "...[truncated ";
    truncated += std::to_string(v.size() - kMaxLogValueBytes);
    truncated += " bytes]";
    v = truncated;
  }
  if (NeedsQuoting(v)) {
    AppendEscaped(out, v);
  } else {
    out += v;
  }
}

// One write(2) for the whole line; loops only if the kernel took part of it
// (possible for pipes when a signal arrives) or on EINTR. Errors are dropped:
// stderr is the error channel of last resort.
void WriteLine(std::string_view line) {
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "unknown";
}

std::string FormatLogLine(LogLevel level, std::string_view event,
                          std::initializer_list<LogField> fields) {
  std::string line;
  line.reserve(64 + 32 * fields.size());
  line += LogLevelName(level);
  line += ' ';
  AppendIdentifier(line, event);
  for (const LogField& f : fields) {
    line += ' ';
    AppendIdentifier(line, f.key);
    line += '=';
    AppendValue(line, f.value);
  }
  return line;
}

void Log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  if (level < g_min_level.load(std::memory_order_relaxed)) return;
  // Formatting allocates; an allocation failure while logging must not turn
  // into an exception escaping a destructor or a noexcept path.
  try {
    std::string line = FormatLogLine(level, event, fields);
    Output& out = GetOutput();
    std::lock_guard<std::mutex> lock(out.mu);
    if (out.sink) {
      out.sink(line);
      return;
    }
    line += '\n';
    WriteLine(line);
  } catch (...) {
    // Nothing sensible to do: the logger is the reporting channel.
  }
}

void SetMinLogLevel(LogLevel level) { g_min_level.store(level, std::memory_order_relaxed); }

LogLevel MinLogLevel() { return g_min_level.load(std::memory_order_relaxed); }

void TEST_SetLogSink(std::function<void(std::string_view line)> sink) {
  Output& out = GetOutput();
  std::lock_guard<std::mutex> lock(out.mu);
  out.sink = std::move(sink);
}

}  // namespace cairn
