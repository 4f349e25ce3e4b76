#include "sync/peer/pairing.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "core/net/api_error.h"
#include "core/net/https_client.h"
#include "core/net/peer_chain.h"
#include "core/pki/certificate_info.h"
#include "core/pki/csr.h"
#include "core/pki/pinned_ca.h"
#include "core/protocol/pinned_token.h"
#include "sync/peer/peer_credentials.h"

namespace cairn {
namespace {

constexpr std::chrono::milliseconds kPairTimeout{30000};

// Network failures get what to check; refusals and the rest pass as they are.
Status Unreachable(const Status& s, const std::string& url) {
  if (!s.retryable()) return s;
  return Status::Unavailable("pair with " + url + ": cannot reach the appliance (" + s.message() +
                             "); check the URL (its ingest listener, https://HOST:PORT) and "
                             "that it is reachable from here, then retry");
}

}  // namespace

Status PairWithAppliance(const std::string& url, const std::string& pair_token,
                         const std::filesystem::path& credentials_dir,
                         const std::string& our_name) {
  // Refused before anything is sent: a second pairing would spend a token
  // for credentials we could not keep.
  CAIRN_ASSIGN_OR_RETURN(bool paired, HasPeerCredentials(credentials_dir));
  if (paired) {
    return Status::AlreadyExists("credentials directory " + credentials_dir.string() +
                                 " already holds a pairing; remove it to pair again");
  }
  CAIRN_ASSIGN_OR_RETURN(ParsedPinnedToken token, ParsePinnedToken(kPairingTokenKind, pair_token));
  CAIRN_ASSIGN_OR_RETURN(HttpsEndpoint endpoint, ParseHttpsUrl(url));
  auto chain = FetchPeerCertificateChain(endpoint, kPairTimeout);
  if (!chain.ok()) return Unreachable(chain.error(), url);
  CAIRN_ASSIGN_OR_RETURN(std::string ca_pem, pki::SelectPinnedCa(*chain, token.ca_sha256_hex, url));

  // From here on only the pinned CA is trusted.
  CAIRN_ASSIGN_OR_RETURN(pki::KeyAndCsr key,
                         pki::GenerateKeyAndCsr(our_name.empty() ? "cairn-appliance" : our_name));
  HttpsClientOptions options;
  options.endpoint = endpoint;
  options.ca_pem = ca_pem;
  options.timeout = kPairTimeout;
  options.max_response_body = 1 << 20;
  CAIRN_ASSIGN_OR_RETURN(auto client, HttpsClient::Create(std::move(options)));
  HttpsRequest spec;
  spec.method = "POST";
  spec.target = "/v1/pair";
  spec.content_type = "application/json";
  spec.body =
      nlohmann::json{{"token", pair_token}, {"csr_pem", key.csr_pem}, {"name", our_name}}.dump(
          -1, ' ', false, nlohmann::json::error_handler_t::replace);
  auto reply = client->Send(spec);
  if (!reply.ok()) return Unreachable(reply.error(), url);
  CAIRN_RETURN_IF_ERROR(StatusFromResponse(*reply, "pair with " + url));

  const auto j = nlohmann::json::parse(reply->body, nullptr, false);
  if (!j.is_object() || !j.contains("protocol") || !j["protocol"].is_number_integer() ||
      j["protocol"] != 1) {
    return Status::InvalidArgument("pair with " + url +
                                   ": the appliance does not speak replication protocol 1; use "
                                   "matching cairn versions on both appliances");
  }
  if (!j.contains("certificate_pem") || !j["certificate_pem"].is_string()) {
    return Status::InvalidArgument("pair with " + url + ": the reply carries no certificate");
  }
  PeerCredentials credentials;
  credentials.key_pem = key.key_pem;
  credentials.cert_pem = j["certificate_pem"].get<std::string>();
  credentials.ca_pem = ca_pem;  // the pinned one, not whatever the reply says
  CAIRN_RETURN_IF_ERROR(pki::VerifyCertificateAgainstCa(credentials.cert_pem, ca_pem)
                            .WithContext("pair with " + url + ": the certificate it issued"));
  return SavePeerCredentials(credentials_dir, credentials);
}

}  // namespace cairn
