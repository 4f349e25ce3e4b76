// SharedRgw: one real Ceph RGW per test program, started on first use with
// tests/support/s3/start_rgw.sh (about 2 s: memstore, no manager) and
// stopped by PID at exit with stop_rgw.sh. A watchdog shell stops it too if
// the test program dies without running its exit handlers (a crash, a
// ctest timeout), so no daemon outlives the run.
//
// Helpers make what the S3 tests share: a credentials file (mode 600), the
// settings of a target on the shared RGW, a fresh bucket.
//
// Header-only because tests/CMakeLists.txt builds each test program from its
// *_test.cc files only. Test thread only.
#pragma once

#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "sync/s3/s3_client.h"
#include "sync/s3/s3_target.h"
#include "tests/support/temp_dir.h"

namespace cairn::test {

struct Rgw {
  std::string endpoint;  // http://127.0.0.1:PORT
  std::uint16_t port = 0;
  std::string access_key;
  std::string secret_key;
};

inline std::filesystem::path S3SupportDir() {
  return (std::filesystem::path(CAIRN_SOURCE_DIR) / "tests/support/s3").lexically_normal();
}

inline std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs `command`, returns its exit status and output (stdout and stderr).
inline int RunCommand(const std::string& command, std::string* output) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) output->append(buf, n);
  return ::pclose(pipe);
}

class RgwProcess {
 public:
  RgwProcess() : dir_("cairn-rgw") {}
  ~RgwProcess() {
    if (!started_) return;
    std::string ignored;
    // GRACE=0: SIGKILL at once; the cluster and its RAM-only data are thrown away.
    RunCommand("GRACE=0 bash " + ShellQuote((S3SupportDir() / "stop_rgw.sh").string()) + " " +
                   ShellQuote(dir_.path().string()),
               &ignored);
  }

  // Starts RGW; on failure returns the script's output.
  std::string Start() {
    const auto t0 = std::chrono::steady_clock::now();
    std::string out;
    const int rc = RunCommand("bash " + ShellQuote((S3SupportDir() / "start_rgw.sh").string()) +
                                  " " + ShellQuote(dir_.path().string()),
                              &out);
    if (rc != 0) return "start_rgw.sh failed (" + std::to_string(rc) + "):\n" + out;
    started_ = true;
    StartWatchdog();
    const std::size_t at = out.find("ENDPOINT=");
    if (at == std::string::npos) return "start_rgw.sh printed no ENDPOINT:\n" + out;
    std::string line = out.substr(at, out.find('\n', at) - at);
    auto field = [&](const std::string& name) {
      const std::size_t p = line.find(name + "=");
      if (p == std::string::npos) return std::string();
      const std::size_t start = p + name.size() + 1;
      return line.substr(start, line.find(' ', start) - start);
    };
    rgw_.endpoint = field("ENDPOINT");
    rgw_.access_key = field("ACCESS_KEY");
    rgw_.secret_key = field("SECRET_KEY");
    rgw_.port =
        static_cast<std::uint16_t>(std::stoi(rgw_.endpoint.substr(rgw_.endpoint.rfind(':') + 1)));
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    std::fprintf(stderr, "rgw_started endpoint=%s ms=%lld\n", rgw_.endpoint.c_str(),
                 static_cast<long long>(ms));
    return "";
  }

  const Rgw& rgw() const { return rgw_; }

 private:
  // Stops the daemons once this process is gone, however it ended.
  void StartWatchdog() {
    const std::string script = "while kill -0 " + std::to_string(::getpid()) +
                               " 2>/dev/null; do sleep 1; done; bash " +
                               ShellQuote((S3SupportDir() / "stop_rgw.sh").string()) + " " +
                               ShellQuote(dir_.path().string()) + " >/dev/null 2>&1; rm -rf " +
                               ShellQuote(dir_.path().string());
    std::string command = "setsid sh -c " + ShellQuote(script) + " </dev/null >/dev/null 2>&1 &";
    if (std::system(command.c_str()) != 0) std::fprintf(stderr, "rgw watchdog did not start\n");
  }

  TempDir dir_;
  bool started_ = false;
  Rgw rgw_;
};

// The program's RGW, started on first use. REQUIREs that it started.
inline const Rgw& SharedRgw() {
  static RgwProcess process;
  static const std::string error = process.Start();
  INFO(error);
  REQUIRE(error.empty());
  return process.rgw();
}

// A credentials file (mode 600) in `dir`.
inline std::filesystem::path WriteCredentials(const std::filesystem::path& dir,
                                              const std::string& access_key,
                                              const std::string& secret_key,
                                              const std::string& name = "s3.toml") {
  const std::filesystem::path file = dir / name;
  std::ofstream(file) << "access_key = \"" << access_key << "\"\nsecret_key = \"" << secret_key
                      << "\"\n";
  std::filesystem::permissions(
      file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  return file;
}

// A bucket name no other test of this program uses.
inline std::string UniqueBucket(const std::string& what) {
  static int counter = 0;
  return "cairn-" + what + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

inline S3TargetSettings RgwSettings(const Rgw& rgw, const std::string& bucket,
                                    const std::filesystem::path& credentials_file,
                                    const std::string& prefix = "") {
  S3TargetSettings s;
  s.endpoint = rgw.endpoint;
  s.bucket = bucket;
  s.prefix = prefix;
  s.credentials_file = credentials_file;
  return s;
}

// Settings for a target on the shared RGW in a bucket named after `what`
// (not created), with the RGW's credentials in a file in `dir`.
inline S3TargetSettings NewRgwTarget(const std::filesystem::path& dir, const std::string& what,
                                     const std::string& prefix = "") {
  const Rgw& rgw = SharedRgw();
  return RgwSettings(rgw, UniqueBucket(what), WriteCredentials(dir, rgw.access_key, rgw.secret_key),
                     prefix);
}

inline std::unique_ptr<S3Client> MakeS3Client(const S3TargetSettings& settings) {
  auto options = S3ClientOptionsFromSettings(settings);
  INFO(options.status().ToString());
  REQUIRE(options.ok());
  auto client = S3Client::Create(std::move(*options));
  INFO(client.status().ToString());
  REQUIRE(client.ok());
  return std::move(*client);
}

inline void CreateBucket(const S3TargetSettings& settings, bool object_lock) {
  Status s = MakeS3Client(settings)->CreateBucket(object_lock);
  INFO(s.ToString());
  REQUIRE(s.ok());
}

inline std::unique_ptr<ReplicaTarget> OpenTarget(const S3TargetSettings& settings) {
  auto target = OpenS3Target(settings);
  INFO(target.status().ToString());
  REQUIRE(target.ok());
  return std::move(*target);
}

}  // namespace cairn::test
