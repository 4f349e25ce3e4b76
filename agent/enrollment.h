// Enrollment, agent side (kubeadm's discovery-hash model):
//
//  1. parse the token; it carries the SHA-256 of the appliance CA;
//  2. connect once WITHOUT trusting anything and take the certificate chain
//     the appliance presents; accept it only if it contains a CA certificate
//     with exactly that SHA-256 and the server certificate chains to it;
//  3. from then on trust only that CA: generate a key, send a CSR with the
//     token over a verified TLS connection (POST /v1/enroll);
//  4. keep the client certificate, the CA and the dedup parameters
//     (AgentState) for every later command.
// A wrong pin, a replayed, expired or other-cluster token are each refused
// with a message that says what was wrong and what to do.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "agent/agent_state.h"

namespace cairn {

struct EnrollRequest {
  std::string appliance_url;
  std::string token;
  std::filesystem::path state_dir;
  std::string hostname;  // the certificate's common name hint, for operators
  std::string cluster;   // optional: refuse a token of another cluster
  std::chrono::milliseconds timeout{30000};
};

Result<AgentState> Enroll(const EnrollRequest& request);

// A one-time token kept in a file (a mounted Secret): at most 64 KiB,
// trailing whitespace and newlines dropped; an empty file is refused.
Result<std::string> ReadEnrollmentTokenFile(const std::filesystem::path& path);

}  // namespace cairn
