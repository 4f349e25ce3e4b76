// Starts tests/support/kube/kube-test-apiserver (the project's Kubernetes
// test API server, Python) for one test: 127.0.0.1 with an ephemeral port,
// its own PKI directory (which holds the kubeconfig it writes, contexts
// `token` and `cert`), objects loaded from a directory. Waits for its ready
// file; the destructor stops it by PID (SIGTERM, then SIGKILL after 5 s)
// and reaps it. Header-only: the test program globs *_test.cc.
// Not thread-safe: build and destroy on the test thread.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace cairn::kube::test {

// The launcher script, found from this header's own path (the build passes
// absolute source paths), or $CAIRN_KUBE_TEST_APISERVER.
inline std::filesystem::path KubeTestApiServerScript() {
  if (const char* env = std::getenv("CAIRN_KUBE_TEST_APISERVER"); env != nullptr && *env) {
    return env;
  }
  return std::filesystem::path(CAIRN_SOURCE_DIR) / "tests/support/kube/kube-test-apiserver";
}

// python3 on PATH, or nullopt.
inline std::optional<std::filesystem::path> FindPython3() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    std::filesystem::path candidate = std::filesystem::path(dir) / "python3";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

// Why the server cannot be run here ("" when it can).
inline std::string KubeTestApiServerMissing() {
  if (!FindPython3()) return "python3 is not on PATH";
  if (!std::filesystem::exists(KubeTestApiServerScript())) {
    return "kube-test-apiserver not found at " + KubeTestApiServerScript().string();
  }
  return "";
}

class KubeTestApiServer {
 public:
  KubeTestApiServer(const std::filesystem::path& work_dir, const std::filesystem::path& load_dir)
      : pki_dir_(work_dir / "pki"), ready_file_(work_dir / "ready.json"), log_(work_dir / "server.log") {
    const std::string python = FindPython3()->string();
    const std::string script = KubeTestApiServerScript().string();
    std::vector<std::string> args = {python, script, "--listen", "127.0.0.1:0",
                                     "--pki-dir", pki_dir_.string(), "--load", load_dir.string(),
                                     "--ready-file", ready_file_.string(), "--quiet"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string log_path = log_.string();
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      // Child: only async-signal-safe calls until exec.
      int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    // Bounded wait for the ready file (loading and key generation take a
    // few seconds on a busy machine).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        FAIL("kube-test-apiserver exited before it was ready:\n" << Log());
      }
      if (ReadReady()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    FAIL("kube-test-apiserver not ready after 60 s:\n" << Log());
  }

  ~KubeTestApiServer() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 250; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  KubeTestApiServer(const KubeTestApiServer&) = delete;
  KubeTestApiServer& operator=(const KubeTestApiServer&) = delete;

  std::filesystem::path kubeconfig() const { return pki_dir_ / "kubeconfig"; }
  int port() const { return port_; }

  std::string Log() const {
    std::ifstream in(log_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  bool ReadReady() {
    std::ifstream in(ready_file_);
    if (!in) return false;
    nlohmann::json ready = nlohmann::json::parse(in, nullptr, false);
    if (!ready.is_object() || !ready.contains("port") || !ready["port"].is_number_integer()) {
      return false;
    }
    port_ = ready["port"].get<int>();
    return std::filesystem::exists(kubeconfig());
  }

  std::filesystem::path pki_dir_;
  std::filesystem::path ready_file_;
  std::filesystem::path log_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace cairn::kube::test
