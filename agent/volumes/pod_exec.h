// PodExec: runs a command in a pod's container through the API server's exec
// endpoint, as `kubectl exec` does, over a WebSocket:
//
//   GET /api/v1/namespaces/{ns}/pods/{pod}/exec?container=C&command=a&command=b
//       &stdout=true&stderr=true
//   Sec-WebSocket-Protocol: v5.channel.k8s.io, v4.channel.k8s.io
//
// Every binary message starts with its channel: 1 stdout, 2 stderr, 3 the
// final status (a metav1.Status: Success, or Failure with reason
// NonZeroExitCode and details.causes[{reason: ExitCode, message: "N"}]).
// No stdin is sent.
//
// Bounds: the whole call (connect included) ends at the timeout; only the
// last kMaxOutputTail bytes of stdout and of stderr are kept; one message is
// at most 1 MiB.
//
// PodExecutor is the seam: hook tests use a fake, the agent uses PodExec.
// Thread-safety: Exec may be called from any one thread at a time per
// object; each call opens its own connection.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "agent/kube/kube_config.h"
#include "core/base/status.h"

namespace cairn::volumes {

inline constexpr std::size_t kMaxOutputTail = 64 * 1024;

struct ExecResult {
  int exit_code = 0;
  std::string stdout_tail;  // the last kMaxOutputTail bytes
  std::string stderr_tail;
  std::string failure;  // a Failure status that is not an exit code (exec itself failed)
};

class PodExecutor {
 public:
  virtual ~PodExecutor() = default;
  // Ok with the exit code once the command ran; an error when it could not
  // be run or did not finish within `timeout` (Unavailable saying so).
  virtual Result<ExecResult> Exec(const std::string& ns, const std::string& pod,
                                  const std::string& container,
                                  const std::vector<std::string>& command,
                                  std::chrono::milliseconds timeout) = 0;
};

class PodExec final : public PodExecutor {
 public:
  // Validates the server URL; does not connect.
  static Result<std::unique_ptr<PodExec>> Create(kube::KubeConfig config);

  Result<ExecResult> Exec(const std::string& ns, const std::string& pod,
                          const std::string& container, const std::vector<std::string>& command,
                          std::chrono::milliseconds timeout) override;

 private:
  PodExec(kube::KubeConfig config, std::string path_prefix)
      : config_(std::move(config)), path_prefix_(std::move(path_prefix)) {}
  kube::KubeConfig config_;
  std::string path_prefix_;  // of the server URL ("" or "/k8s")
};

// The request target for an exec (exposed for tests): every value
// percent-encoded.
std::string ExecTarget(const std::string& path_prefix, const std::string& ns,
                       const std::string& pod, const std::string& container,
                       const std::vector<std::string>& command);

// Reads a channel-3 status message (exposed for tests).
Status ParseExecStatus(std::string_view json, ExecResult& result);

}  // namespace cairn::volumes
