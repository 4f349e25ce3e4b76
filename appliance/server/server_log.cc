#include "appliance/server/server_log.h"

#include <unistd.h>

#include <cstdio>
#include <string>

namespace cairn::server_internal {
namespace {

std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

bool NeedsQuotes(std::string_view v) {
  if (v.empty()) return true;
  for (unsigned char c : v) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) return true;
  }
  return false;
}

void AppendValue(std::string& line, std::string_view v) {
  if (!NeedsQuotes(v)) {
    line.append(v);
    return;
  }
  line.push_back('"');
  for (unsigned char c : v) {
    if (c == '"' || c == '\\') {
      line.push_back('\\');
      line.push_back(static_cast<char>(c));
    } else if (c < ' ' || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02x", c);
      line.append(hex);
    } else {
      line.push_back(static_cast<char>(c));
    }
  }
  line.push_back('"');
}

}  // namespace

void LogEvent(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  std::string line;
  line.append(LevelName(level));
  line.push_back(' ');
  line.append(event);
  for (const auto& [key, value] : fields) {
    line.push_back(' ');
    line.append(key);
    line.push_back('=');
    AppendValue(line, value);
  }
  line.push_back('\n');
  // One write per line: stderr is unbuffered, and journald splits on '\n'.
  // A short or failed write has nowhere better to be reported.
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace cairn::server_internal
