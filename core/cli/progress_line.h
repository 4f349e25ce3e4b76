// ProgressLine: the live one-line status a terminal user sees during long
// work ("backup  1.21 GiB  12034 entries  456.2 MB/s ..."), redrawn every
// 250 ms on stderr from a background thread, only when stderr is a terminal.
// Construct before the job, destroy (or Stop) after it: the line is erased.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "core/engine/progress.h"

namespace cairn {

class ProgressLine {
 public:
  // `render` turns the figures and elapsed seconds into the line's text.
  ProgressLine(const JobProgress& progress,
               std::function<std::string(const JobProgress&, double)> render);
  ~ProgressLine() { Stop(); }
  void Stop();

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
  bool active_ = false;
};

}  // namespace cairn
