#include "sync/peer/appliance_target.h"

#include "sync/peer/http_replica_target.h"
#include "sync/peer/peer_credentials.h"

namespace cairn {

Result<std::unique_ptr<ReplicaTarget>> OpenApplianceTarget(
    const ApplianceTargetSettings& settings) {
  const std::string where = "appliance target " + settings.url;
  auto credentials = LoadPeerCredentials(settings.credentials_dir);
  if (!credentials.ok()) return credentials.error().WithContext(where);
  CAIRN_ASSIGN_OR_RETURN(HttpsEndpoint endpoint, ParseHttpsUrl(settings.url));
  HttpsClientOptions options;
  options.endpoint = std::move(endpoint);
  options.ca_pem = credentials->ca_pem;  // the remote CA pinned at pairing, nothing else
  options.client_cert_pem = credentials->cert_pem;
  options.client_key_pem = credentials->key_pem;
  auto client = HttpsClient::Create(std::move(options));
  if (!client.ok())
    return client.error().WithContext(where + ": credentials in " +
                                      settings.credentials_dir.string());
  HttpReplicaRoutes routes;
  routes.description = "appliance " + settings.url;
  routes.object_path = "/v1/replica/object";
  routes.keys_path = "/v1/replica/keys";
  routes.probe_path = "/v1/replica/probe";
  routes.refusal_hint =
      "if this appliance's pairing was revoked or its certificate expired, ask the remote "
      "appliance's admin for a new pairing token and pair again";
  return std::unique_ptr<ReplicaTarget>(
      std::make_unique<HttpReplicaTarget>(std::move(*client), std::move(routes)));
}

}  // namespace cairn
