#include "core/base/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.h"

namespace cairn {
namespace {

// Captures lines through the test sink for the life of the object and puts
// the process-wide state (sink, minimum level) back afterwards.
class CapturedLog {
 public:
  CapturedLog() {
    TEST_SetLogSink([this](std::string_view line) {
      std::lock_guard<std::mutex> lock(mu_);
      lines_.emplace_back(line);
    });
  }
  ~CapturedLog() {
    TEST_SetLogSink(nullptr);
    SetMinLogLevel(LogLevel::kInfo);
  }
  std::vector<std::string> lines() {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> lines_;
};

TEST_CASE("Log: a line is level, event, then key=value fields in order", "[unit]") {
  CapturedLog log;
  Log(LogLevel::kWarn, "sync_retry",
      {{"target", "https://10.0.0.2:8443"},
       {"attempt", 3},
       {"bytes", std::uint64_t{1} << 40},
       {"delta", -7},
       {"ok", false},
       {"name", std::string("web-1")},
       {"version", std::uint8_t{2}}});
  Log(LogLevel::kError, "startup_failed");
  auto lines = log.lines();
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] ==
        "warn sync_retry target=https://10.0.0.2:8443 attempt=3 bytes=1099511627776 "
        "delta=-7 ok=false name=web-1 version=2");
  CHECK(lines[1] == "error startup_failed");
}

TEST_CASE("Log: values with spaces, quotes, '=' or control characters are quoted and escaped",
          "[unit]") {
  CHECK(FormatLogLine(LogLevel::kInfo, "e", {{"msg", "two words"}}) == R"(info e msg="two words")");
  CHECK(FormatLogLine(LogLevel::kInfo, "e", {{"q", "say \"hi\""}}) == R"(info e q="say \"hi\"")");
  CHECK(FormatLogLine(LogLevel::kInfo, "e", {{"kv", "a=b"}}) == R"(info e kv="a=b")");
  CHECK(FormatLogLine(LogLevel::kInfo, "e", {{"nl", "a\nb\tc\r"}}) == R"(info e nl="a\nb\tc\r")");
  CHECK(FormatLogLine(LogLevel::kInfo, "e", {{"bell", "a\ab\x7f"}}) ==
        R"(info e bell="a\x07b\x7f")");
  // A backslash needs no quoting on its own, but is escaped inside quotes.
  CHECK(FormatLogLine(LogLevel::kInfo, "e", {{"p", "a\\b"}}) == R"(info e p=a\b)");
  CHECK(FormatLogLine(LogLevel::kInfo, "e", {{"p", "a\\ b"}}) == R"(info e p="a\\ b")");
  // An empty value stays visible.
  CHECK(FormatLogLine(LogLevel::kInfo, "e", {{"empty", ""}}) == R"(info e empty="")");
  // A NUL byte inside a value cannot end the line early.
  CHECK(FormatLogLine(LogLevel::kInfo, "e", {{"nul", std::string("a\0b", 3)}}) ==
        R"(info e nul="a\x00b")");
  // Non-ASCII UTF-8 passes through untouched.
  CHECK(FormatLogLine(LogLevel::kInfo, "e", {{"u", "h\xc3\xa9"}}) == "info e u=h\xc3\xa9");
}

TEST_CASE("Log: an event name or key cannot break the line's grammar", "[unit]") {
  CHECK(FormatLogLine(LogLevel::kDebug, "bad event\n", {{"a key=", "v"}, {"", "w"}}) ==
        "debug bad_event_ a_key_=v _=w");
}

TEST_CASE("Log: a runaway value is truncated and says so", "[unit]") {
  std::string big(kMaxLogValueBytes + 100, 'x');
  std::string line = FormatLogLine(LogLevel::kInfo, "e", {{"v", big}});
  CHECK(line == "info e v=\"" + std::string(kMaxLogValueBytes, 'x') + "...[truncated 100 bytes]\"");
}

TEST_CASE("Log: lines below the minimum level are dropped", "[unit]") {
  CapturedLog log;
  CHECK(MinLogLevel() == LogLevel::kInfo);
  Log(LogLevel::kDebug, "hidden");
  Log(LogLevel::kInfo, "shown");
  SetMinLogLevel(LogLevel::kError);
  Log(LogLevel::kWarn, "hidden_too");
  Log(LogLevel::kError, "shown_too");
  SetMinLogLevel(LogLevel::kDebug);
  Log(LogLevel::kDebug, "debug_now");
  auto lines = log.lines();
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == "info shown");
  CHECK(lines[1] == "error shown_too");
  CHECK(lines[2] == "debug debug_now");
}

// Points fd 2 at a file for the life of the object, restoring it afterwards.
class StderrToFile {
 public:
  explicit StderrToFile(const std::string& path) {
    std::fflush(stderr);
    saved_ = ::dup(STDERR_FILENO);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
    ok_ = saved_ >= 0 && fd >= 0 && ::dup2(fd, STDERR_FILENO) >= 0;
    if (fd >= 0) ::close(fd);
  }
  ~StderrToFile() {
    std::fflush(stderr);
    if (saved_ >= 0) {
      ::dup2(saved_, STDERR_FILENO);
      ::close(saved_);
    }
  }
  bool ok() const { return ok_; }

 private:
  int saved_ = -1;
  bool ok_ = false;
};

TEST_CASE("Log: lines written to stderr from many threads never interleave", "[unit]") {
  TempDir dir;
  const std::string path = (dir.path() / "stderr.log").string();
  constexpr int kThreads = 4;
  constexpr int kLinesPerThread = 500;
  {
    StderrToFile redirect(path);
    REQUIRE(redirect.ok());
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([t] {
        // A long quoted value makes a torn line easy to spot.
        std::string payload(300, static_cast<char>('a' + t));
        payload[150] = ' ';
        for (int i = 0; i < kLinesPerThread; ++i) {
          Log(LogLevel::kInfo, "stress", {{"thread", t}, {"i", i}, {"payload", payload}});
        }
      });
    }
    for (auto& th : threads) th.join();
  }
  std::ifstream in(path);
  REQUIRE(in.good());
  std::vector<int> next(kThreads, 0);
  std::string line;
  int count = 0;
  while (std::getline(in, line)) {
    ++count;
    int t = -1, i = -1;
    REQUIRE(std::sscanf(line.c_str(), "info stress thread=%d i=%d payload=", &t, &i) == 2);
    REQUIRE(t >= 0);
    REQUIRE(t < kThreads);
    // Per thread, lines arrive whole and in order.
    CHECK(i == next[t]);
    next[t] = i + 1;
    std::string payload(300, static_cast<char>('a' + t));
    payload[150] = ' ';
    CHECK(line == "info stress thread=" + std::to_string(t) + " i=" + std::to_string(i) +
                      " payload=\"" + payload + "\"");
  }
  CHECK(count == kThreads * kLinesPerThread);
}

}  // namespace
}  // namespace cairn
