#include "core/cli/progress_line.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>

namespace cairn {

ProgressLine::ProgressLine(const JobProgress& progress,
                           std::function<std::string(const JobProgress&, double)> render) {
  active_ = ::isatty(STDERR_FILENO) == 1;
  if (!active_) return;
  thread_ = std::thread([this, &progress, render = std::move(render)] {
    auto start = std::chrono::steady_clock::now();
    while (!stop_.load()) {
      for (int i = 0; i < 5 && !stop_.load(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::string line = render(progress, secs);
      std::fprintf(stderr, "\r\033[K%s", line.c_str());
      std::fflush(stderr);
    }
  });
}

void ProgressLine::Stop() {
  if (!active_) return;
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  active_ = false;
}

}  // namespace cairn
