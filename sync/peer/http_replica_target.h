// HttpReplicaTarget: a ReplicaTarget over a Cairn appliance's replica routes
// (docs/protocol.md "Replication peers", docs/api.md "Replication peers"),
// the one HTTP client shared by the two ways of reaching a replica held by
// another appliance:
//
//   ApplianceTarget (appliance_target.h)   ingest listener, mTLS as a paired
//       peer: /v1/replica/object, /v1/replica/keys, /v1/replica/probe
//   OpenApplianceReplicaReader (appliance_replica_reader.h)   admin
//       listener, bearer token, read-only: /v1/replicas/{peer}/object|keys
//
// Keys go in the query (percent-encoded); bodies are the objects' bytes as
// stored. Every size from the network is bounded: a Get by its max_bytes, a
// page of keys by the client's response limit. Keys a listing returns are
// untrusted: each must be a replica key (ValidateReplicaKey), under the
// prefix asked for, and after the previous one, or the listing fails.
//
// Errors: network failures Unavailable (retryable); the far side's refusals
// PermissionDenied, its message saying what to do, plus `refusal_hint` when
// the refusal came from the TLS layer (no server message to pass on).
// Thread-safety: one object per thread (ReplicaTarget).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/net/https_client.h"
#include "sync/target/replica_target.h"

namespace cairn {

struct HttpReplicaRoutes {
  std::string description;  // Describe(): "appliance https://b:8443"
  std::string object_path;  // "/v1/replica/object"; ?key=K is appended
  std::string keys_path;    // "/v1/replica/keys"
  std::string probe_path;   // GET, JSON reply; "" for a reader (keys?limit=1 instead)
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. Authorization
  bool read_only = false;    // Put/Delete refused locally, nothing sent
  std::string refusal_hint;  // appended to PermissionDenied from the transport
};

class HttpReplicaTarget final : public ReplicaTarget {
 public:
  HttpReplicaTarget(std::unique_ptr<HttpsClient> client, HttpReplicaRoutes routes)
      : client_(std::move(client)), routes_(std::move(routes)) {}

  std::string Describe() const override { return routes_.description; }
  Result<ProbeResult> Probe() override;
  Status Put(std::string_view key, ByteSpan data, const PutOptions& options) override;
  Result<Bytes> Get(std::string_view key, std::uint64_t max_bytes) override;
  Status List(std::string_view prefix,
              const std::function<Status(std::string_view, std::uint64_t)>& on_key) override;
  Status Delete(std::string_view key) override;

 private:
  // Sends, and turns a transport failure or an error answer into a Status
  // carrying `what` ("PUT chunks/ab/...").
  Result<HttpsResponse> Call(const HttpsRequest& request, const std::string& what);
  Status Annotate(Status s, const std::string& what) const;
  // PermissionDenied for a read-only target (nothing is sent).
  Status CheckWritable(const std::string& what) const;
  std::string ObjectTarget(std::string_view key) const;

  std::unique_ptr<HttpsClient> client_;
  HttpReplicaRoutes routes_;
};

// RFC 3986 unreserved characters (and '/' when keep_slash) pass as they are,
// every other byte becomes %XX: for query values and path segments.
std::string PercentEncode(std::string_view text, bool keep_slash);

}  // namespace cairn
