// TempDir: a fresh directory under $TMPDIR (or /tmp) for one test, removed
// with everything in it when the test ends. Not thread-safe; one per test.
#pragma once

#include <filesystem>
#include <string>

namespace cairn {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "cairn-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace cairn
