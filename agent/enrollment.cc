#include "agent/enrollment.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "core/base/file_system.h"
#include "core/net/api_error.h"
#include "core/net/https_client.h"
#include "core/net/peer_chain.h"
#include "core/pki/certificate_info.h"
#include "core/pki/csr.h"
#include "core/pki/pinned_ca.h"
#include "core/protocol/dedup_params_json.h"
#include "core/protocol/enrollment_token.h"

namespace cairn {

using pki::GenerateKeyAndCsr;
using pki::KeyAndCsr;
using pki::VerifyCertificateAgainstCa;

Result<AgentState> Enroll(const EnrollRequest& request) {
  if (AgentState::Load(request.state_dir).ok()) {
    return Status::AlreadyExists("state directory " + request.state_dir.string() +
                                 " already holds an enrollment; use another --state-dir, or "
                                 "remove it to enroll again");
  }
  CAIRN_ASSIGN_OR_RETURN(ParsedEnrollmentToken token, ParseEnrollmentToken(request.token));
  CAIRN_ASSIGN_OR_RETURN(HttpsEndpoint endpoint, ParseHttpsUrl(request.appliance_url));
  CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> chain,
                         FetchPeerCertificateChain(endpoint, request.timeout));
  CAIRN_ASSIGN_OR_RETURN(std::string ca_pem,
                         pki::SelectPinnedCa(chain, token.ca_sha256_hex, request.appliance_url));

  const std::string cn = request.hostname.empty() ? "cairn-agent" : request.hostname;
  CAIRN_ASSIGN_OR_RETURN(KeyAndCsr key, GenerateKeyAndCsr(cn));
  HttpsClientOptions options;
  options.endpoint = endpoint;
  options.ca_pem = ca_pem;
  options.timeout = request.timeout;
  CAIRN_ASSIGN_OR_RETURN(auto client, HttpsClient::Create(std::move(options)));
  nlohmann::json body{{"token", request.token},
                      {"csr_pem", key.csr_pem},
                      {"hostname", cn},
                      {"cluster", request.cluster}};
  HttpsRequest spec;
  spec.method = "POST";
  spec.target = "/v1/enroll";
  spec.content_type = "application/json";
  spec.body = body.dump();
  CAIRN_ASSIGN_OR_RETURN(HttpsResponse reply, client->Send(spec));
  CAIRN_RETURN_IF_ERROR(StatusFromResponse(reply, "enroll with " + request.appliance_url));

  const auto j = nlohmann::json::parse(reply.body, nullptr, false);
  AgentState state;
  if (!j.is_object()) return Status::InvalidArgument("enroll: the appliance's reply is not JSON");
  if (!j.contains("protocol") || !j["protocol"].is_number_integer() || j["protocol"] != 1) {
    return Status::InvalidArgument("enroll: the appliance speaks protocol " +
                                   (j.contains("protocol") ? j["protocol"].dump() : "?") +
                                   ", this agent knows 1: upgrade the agent");
  }
  try {
    state.agent_id = j.at("agent_id").get<std::string>();
    state.cluster = j.at("cluster").get<std::string>();
    state.cert_pem = j.at("certificate_pem").get<std::string>();
    CAIRN_ASSIGN_OR_RETURN(state.dedup, DedupParamsFromJson(j.at("dedup")));
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("enroll: malformed reply: ") + e.what());
  }
  CAIRN_RETURN_IF_ERROR(VerifyCertificateAgainstCa(state.cert_pem, ca_pem)
                            .WithContext("enroll: the certificate the appliance issued"));
  state.appliance_url = request.appliance_url;
  state.ca_pem = ca_pem;
  state.key_pem = key.key_pem;
  CAIRN_RETURN_IF_ERROR(state.SaveNew(request.state_dir));
  return state;
}

Result<std::string> ReadEnrollmentTokenFile(const std::filesystem::path& path) {
  CAIRN_ASSIGN_OR_RETURN(Bytes b, ReadWholeFile(DefaultFileSystem(), path, 64 << 10));
  std::string token(b.begin(), b.end());
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  if (token.empty()) return Status::InvalidArgument("token file " + path.string() + " is empty");
  return token;
}

}  // namespace cairn
