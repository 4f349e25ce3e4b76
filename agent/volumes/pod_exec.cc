#include "agent/volumes/pod_exec.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "agent/kube/api_path.h"
#include "core/net/websocket_client.h"

namespace cairn::volumes {
namespace {

constexpr std::chrono::milliseconds kMaxConnectTimeout{30000};
constexpr std::uint64_t kMaxExecMessage = 1 << 20;
// Messages per exec, a guard against a server that streams empty frames forever
// (the deadline bounds the time too).
constexpr std::uint64_t kMaxExecMessages = 10'000'000;

enum Channel : unsigned char { kStdout = 1, kStderr = 2, kError = 3, kResize = 4, kClose = 255 };

void AppendTail(std::string& tail, std::string_view data) {
  if (data.size() >= kMaxOutputTail) {
    tail.assign(data.substr(data.size() - kMaxOutputTail));
    return;
  }
  tail.append(data);
  if (tail.size() > kMaxOutputTail) tail.erase(0, tail.size() - kMaxOutputTail);
}

std::string Millis(std::chrono::milliseconds ms) {
  if (ms.count() % 1000 == 0) return std::to_string(ms.count() / 1000) + "s";
  return std::to_string(ms.count()) + "ms";
}

}  // namespace

std::string ExecTarget(const std::string& path_prefix, const std::string& ns,
                       const std::string& pod, const std::string& container,
                       const std::vector<std::string>& command) {
  std::string target = path_prefix + "/api/v1/namespaces/" + kube::EscapePathSegment(ns) +
                       "/pods/" + kube::EscapePathSegment(pod) + "/exec?container=" +
                       kube::EscapeQueryValue(container);
  for (const std::string& arg : command) target += "&command=" + kube::EscapeQueryValue(arg);
  target += "&stdout=true&stderr=true";
  return target;
}

Status ParseExecStatus(std::string_view json, ExecResult& result) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Corruption("exec status from the API server is not a JSON object: " +
                              std::string(json.substr(0, 200)));
  }
  auto text = [](const nlohmann::json& o, const char* key) -> std::string {
    auto it = o.find(key);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const std::string status = text(j, "status");
  if (status == "Success") {
    result.exit_code = 0;
    return Status::Ok();
  }
  if (status != "Failure") {
    return Status::Corruption("exec status from the API server is neither Success nor Failure: " +
                              std::string(json.substr(0, 200)));
  }
  if (text(j, "reason") == "NonZeroExitCode") {
    auto details = j.find("details");
    if (details != j.end() && details->is_object()) {
      auto causes = details->find("causes");
      if (causes != details->end() && causes->is_array()) {
        for (const auto& cause : *causes) {
          if (!cause.is_object() || text(cause, "reason") != "ExitCode") continue;
          const std::string code = text(cause, "message");
          int value = 0;
          auto parsed = std::from_chars(code.data(), code.data() + code.size(), value);
          if (parsed.ec == std::errc() && parsed.ptr == code.data() + code.size()) {
            result.exit_code = value;
            return Status::Ok();
          }
        }
      }
    }
  }
  // The command never ran (no such container or executable, ...).
  result.exit_code = -1;
  result.failure = text(j, "message");
  if (result.failure.empty()) result.failure = std::string(json.substr(0, 200));
  return Status::Ok();
}

Result<std::unique_ptr<PodExec>> PodExec::Create(kube::KubeConfig config) {
  CAIRN_ASSIGN_OR_RETURN(kube::KubeServerUrl url, kube::ParseKubeServerUrl(config.server));
  return std::unique_ptr<PodExec>(new PodExec(std::move(config), url.path_prefix));
}

Result<ExecResult> PodExec::Exec(const std::string& ns, const std::string& pod,
                                 const std::string& container,
                                 const std::vector<std::string>& command,
                                 std::chrono::milliseconds timeout) {
  const std::string what = "exec in pod " + ns + "/" + pod + " container " + container;
  if (command.empty()) return Status::InvalidArgument(what + ": no command");
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  CAIRN_ASSIGN_OR_RETURN(kube::KubeServerUrl url, kube::ParseKubeServerUrl(config_.server));
  WebSocketClientOptions o;
  o.endpoint = url.endpoint;
  o.target = ExecTarget(path_prefix_, ns, pod, container, command);
  o.ca_pem = config_.ca_pem;
  o.client_cert_pem = config_.client_cert_pem;
  o.client_key_pem = config_.client_key_pem;
  o.server_name = config_.tls_server_name;
  if (!config_.bearer_token.empty()) {
    o.headers.emplace_back("Authorization", "Bearer " + config_.bearer_token);
  }
  o.subprotocols = {"v5.channel.k8s.io", "v4.channel.k8s.io"};
  o.timeout = std::min(timeout, kMaxConnectTimeout);
  o.max_message_bytes = kMaxExecMessage;
  auto client = WebSocketClient::Connect(std::move(o));
  if (!client.ok()) return client.error().WithContext(what);

  ExecResult result;
  bool got_status = false;
  for (std::uint64_t n = 0; n < kMaxExecMessages; ++n) {
    auto message = (*client)->Read(deadline);
    if (!message.ok()) {
      if (std::chrono::steady_clock::now() >= deadline) {
        return Status::Unavailable(what + ": the command did not finish within " +
                                   Millis(timeout) + " (stderr so far: " + result.stderr_tail +
                                   ")");
      }
      return message.error().WithContext(what);
    }
    if (!message->has_value()) break;  // the server closed the stream
    const std::string& data = (*message)->data;
    if (data.empty()) continue;
    const auto channel = static_cast<unsigned char>(data[0]);
    std::string_view payload = std::string_view(data).substr(1);
    switch (channel) {
      case kStdout:
        AppendTail(result.stdout_tail, payload);
        break;
      case kStderr:
        AppendTail(result.stderr_tail, payload);
        break;
      case kError:
        if (payload.empty()) break;  // the channel being opened
        CAIRN_RETURN_IF_ERROR(ParseExecStatus(payload, result));
        got_status = true;
        break;
      default:
        break;  // resize/close signals are for the other direction
    }
    if (got_status) break;
  }
  (*client)->Close();
  if (!got_status) {
    return Status::Unavailable(what + ": the API server ended the exec without a status");
  }
  return result;
}

}  // namespace cairn::volumes
