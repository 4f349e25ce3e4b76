// cairnctl's remote mode: the admin API client. Every remote command takes
// --appliance URL, --token T and --ca-file F (or CAIRN_APPLIANCE, CAIRN_TOKEN,
// CAIRN_CA_FILE): the admin listener's address, an API token, and the
// appliance CA certificate to trust (its pki/ca.crt; check its fingerprint
// against what `cairn-appliance init` printed).
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/net/https_client.h"

namespace cairn::ctl {

struct RemoteEnvironment {
  std::string appliance;  // CAIRN_APPLIANCE
  std::string token;      // CAIRN_TOKEN
  std::string ca_file;    // CAIRN_CA_FILE
};

struct RemoteFlags {
  std::string appliance, token, ca_file;
};

void AddRemoteFlags(CLI::App* cmd, RemoteFlags& flags, const RemoteEnvironment& env,
                    bool required = true);

class AdminClient {
 public:
  static Result<std::unique_ptr<AdminClient>> Connect(const RemoteFlags& flags);
  Result<nlohmann::json> Get(const std::string& target);
  Result<nlohmann::json> Post(const std::string& target, const nlohmann::json& body);
  // Any method with a JSON body (PUT, DELETE; body omitted when null).
  Result<nlohmann::json> Call(const std::string& method, const std::string& target,
                              const nlohmann::json& body = nullptr);
  // Raw body (manifests, chunks).
  Result<std::string> GetRaw(const std::string& target, std::string_view what);

 private:
  AdminClient(std::unique_ptr<HttpsClient> http, std::string token)
      : http_(std::move(http)), token_(std::move(token)) {}
  Result<HttpsResponse> Send(HttpsRequest spec, std::string_view what);

  std::unique_ptr<HttpsClient> http_;
  std::string token_;
};

}  // namespace cairn::ctl
