// The agent's identity kept in a Kubernetes Secret, so that a cluster enrolls
// ONCE (enrollment tokens are single use) and every pod of the deployment --
// the resource agent and each node's volume agent -- runs as that one agent.
//
// The Secret (type Opaque) holds exactly the five files of an enrolled state
// directory (agent/agent_state.h), byte for byte, under their file names:
//   agent.json  ca.crt  agent.crt  agent.key  dedup.json
// plus labels/annotations naming the agent and cluster for operators. It is
// created with POST and never replaced: a second enrollment finds it and is
// refused (AlreadyExists), so an identity cannot be silently swapped.
//
// Flow of `cairn-agent enroll --identity-secret NS/NAME --if-needed`
// (EnsureIdentity): the Secret exists -> materialise it into the state dir;
// else the state dir is enrolled and a token was given -> store it (a pod
// that enrolled but could not store keeps its emptyDir across restarts);
// else a token -> enroll, then store; else wait, bounded, for another pod to
// store it.
//
// Thread-safety: functions of their arguments; one KubeClient per thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "agent/agent_state.h"
#include "agent/enrollment.h"
#include "agent/kube/kube_client.h"

namespace cairn {

struct SecretRef {
  std::string ns;
  std::string name;
  std::string ToString() const { return ns + "/" + name; }
  // "/api/v1/namespaces/NS/secrets/NAME"
  std::string Path() const;
};

// "NS/NAME", both DNS-1123 labels/subdomains; InvalidArgument otherwise.
Result<SecretRef> ParseSecretRef(std::string_view text);

// The file names a state directory is made of, in the order they are written
// when materialised (agent.json last: its presence means "enrolled").
inline constexpr const char* kIdentityFiles[] = {"agent.key", "dedup.json", "ca.crt",
                                                 "agent.crt", "agent.json"};
// Bound on each decoded file (the state files are a few KiB).
inline constexpr std::size_t kMaxIdentityFileBytes = 1 << 20;

// Creates the Secret from the enrolled state directory `state_dir` (checked
// with AgentState::Load first). AlreadyExists, naming the agent it holds,
// when the Secret exists: it is never overwritten.
Status SaveIdentitySecret(kube::KubeClient& client, const SecretRef& ref,
                          const std::filesystem::path& state_dir);

// The Secret's files, decoded. NotFound when the Secret does not exist;
// InvalidArgument naming the key when one of the five is missing, not
// base64 or too large.
Result<std::map<std::string, std::string>> LoadIdentitySecret(kube::KubeClient& client,
                                                              const SecretRef& ref);

// Writes `files` (as LoadIdentitySecret returns them) into `state_dir`: staged
// and validated with AgentState::Load first, then renamed into place with
// agent.json last, secrets mode 0600. A state dir holding another identity
// is replaced (the Secret is the cluster's identity); the same one is left
// alone. Returns the state now in `state_dir`.
Result<AgentState> MaterializeIdentity(const std::map<std::string, std::string>& files,
                                       const std::filesystem::path& state_dir);

struct EnsureIdentityRequest {
  SecretRef secret;
  std::filesystem::path state_dir;
  // Empty: this pod does not enroll; it waits for the Secret.
  std::optional<EnrollRequest> enroll;
  std::chrono::milliseconds wait{std::chrono::minutes(10)};
  std::chrono::milliseconds poll{std::chrono::seconds(2)};
  // Test seam; nullptr: std::this_thread::sleep_for.
  std::function<void(std::chrono::milliseconds)> sleep;
  // Test seam; nullptr: Enroll() from agent/enrollment.h.
  std::function<Result<AgentState>(const EnrollRequest&)> enroll_fn;
};

enum class IdentitySource { kFromSecret, kStoredExisting, kEnrolled };
struct EnsuredIdentity {
  AgentState state;
  IdentitySource source = IdentitySource::kFromSecret;
};

// The flow described at the top. A token that was already used while the
// Secret is missing gets a message saying to create a new token.
Result<EnsuredIdentity> EnsureIdentity(kube::KubeClient& client,
                                       const EnsureIdentityRequest& request);

}  // namespace cairn
