#include "sync/peer/appliance_replica_reader.h"

#include "sync/peer/http_replica_target.h"

namespace cairn {

Result<std::unique_ptr<ReplicaTarget>> OpenApplianceReplicaReader(const std::string& admin_url,
                                                                  const std::string& ca_pem,
                                                                  const std::string& admin_token,
                                                                  const std::string& peer_id) {
  if (admin_token.empty()) {
    return Status::InvalidArgument("replica reader: no API token (one with read-replicas: admin)");
  }
  if (peer_id.empty() || peer_id.size() > 64) {
    return Status::InvalidArgument(
        "replica reader: peer id must be 1 to 64 characters (see `cairnctl peer list` on the "
        "appliance holding the replica)");
  }
  CAIRN_ASSIGN_OR_RETURN(HttpsEndpoint endpoint, ParseHttpsUrl(admin_url));
  HttpsClientOptions options;
  options.endpoint = std::move(endpoint);
  options.ca_pem = ca_pem;
  CAIRN_ASSIGN_OR_RETURN(auto client, HttpsClient::Create(std::move(options)));
  HttpReplicaRoutes routes;
  const std::string base = "/v1/replicas/" + PercentEncode(peer_id, false);
  routes.description = "replica of peer " + peer_id + " on " + admin_url;
  routes.object_path = base + "/object";
  routes.keys_path = base + "/keys";
  routes.headers.push_back({"Authorization", "Bearer " + admin_token});
  routes.read_only = true;
  return std::unique_ptr<ReplicaTarget>(
      std::make_unique<HttpReplicaTarget>(std::move(client), std::move(routes)));
}

}  // namespace cairn
