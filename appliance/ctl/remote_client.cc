#include "appliance/ctl/remote_client.h"

#include "core/base/file_system.h"
#include "core/net/api_error.h"

namespace cairn::ctl {

void AddRemoteFlags(CLI::App* cmd, RemoteFlags& flags, const RemoteEnvironment& env,
                    bool required) {
  flags.appliance = env.appliance;
  flags.token = env.token;
  flags.ca_file = env.ca_file;
  auto* a = cmd->add_option("--appliance", flags.appliance,
                            "admin API URL, https://HOST:PORT (env CAIRN_APPLIANCE)");
  cmd->add_option("--token", flags.token, "API token (env CAIRN_TOKEN)");
  cmd->add_option("--ca-file", flags.ca_file, "appliance CA certificate (env CAIRN_CA_FILE)");
  if (required && env.appliance.empty()) a->required();
}

Result<std::unique_ptr<AdminClient>> AdminClient::Connect(const RemoteFlags& flags) {
  if (flags.token.empty()) {
    return Status::InvalidArgument("no API token: pass --token or set CAIRN_TOKEN");
  }
  if (flags.ca_file.empty()) {
    return Status::InvalidArgument(
        "no CA to trust: pass --ca-file with the appliance's pki/ca.crt (or set CAIRN_CA_FILE)");
  }
  CAIRN_ASSIGN_OR_RETURN(Bytes ca, ReadWholeFile(DefaultFileSystem(), flags.ca_file, 1 << 20));
  CAIRN_ASSIGN_OR_RETURN(HttpsEndpoint endpoint, ParseHttpsUrl(flags.appliance));
  HttpsClientOptions options;
  options.endpoint = endpoint;
  options.ca_pem.assign(ca.begin(), ca.end());
  options.max_response_body = 1ull << 30;  // a large snapshot's manifest
  CAIRN_ASSIGN_OR_RETURN(auto http, HttpsClient::Create(std::move(options)));
  return std::unique_ptr<AdminClient>(new AdminClient(std::move(http), flags.token));
}

Result<HttpsResponse> AdminClient::Send(HttpsRequest spec, std::string_view what) {
  spec.headers.push_back({"Authorization", "Bearer " + token_});
  CAIRN_ASSIGN_OR_RETURN(HttpsResponse r, http_->Send(spec));
  CAIRN_RETURN_IF_ERROR(StatusFromResponse(r, what));
  return r;
}

Result<nlohmann::json> AdminClient::Get(const std::string& target) {
  HttpsRequest spec;
  spec.target = target;
  CAIRN_ASSIGN_OR_RETURN(HttpsResponse r, Send(std::move(spec), "GET " + target));
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded()) return Status::InvalidArgument("GET " + target + ": reply is not JSON");
  return j;
}

Result<nlohmann::json> AdminClient::Post(const std::string& target, const nlohmann::json& body) {
  return Call("POST", target, body);
}

Result<nlohmann::json> AdminClient::Call(const std::string& method, const std::string& target,
                                         const nlohmann::json& body) {
  HttpsRequest spec;
  spec.method = method;
  spec.target = target;
  if (!body.is_null()) {
    spec.content_type = "application/json";
    spec.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  const std::string what = method + " " + target;
  CAIRN_ASSIGN_OR_RETURN(HttpsResponse r, Send(std::move(spec), what));
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded()) return Status::InvalidArgument(what + ": reply is not JSON");
  return j;
}

Result<std::string> AdminClient::GetRaw(const std::string& target, std::string_view what) {
  HttpsRequest spec;
  spec.target = target;
  CAIRN_ASSIGN_OR_RETURN(HttpsResponse r, Send(std::move(spec), what));
  return std::move(r.body);
}

}  // namespace cairn::ctl
