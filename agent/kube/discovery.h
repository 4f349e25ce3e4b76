// Discovery: every group/version/resource an API server serves, the way
// kubectl api-resources finds them: GET /api, /api/v1, /apis, then
// /apis/<group>/<version> for each version of each group. Subresources
// ("pods/log") are left out. A group version that fails to answer (an
// aggregated API that is down) is a warning, not a failure; /api and /apis
// failing, or the server not answering at all, is an error.
//
// Thread-safety: plain values; Discover uses the client on the calling thread.
#pragma once

#include <string>
#include <vector>

#include "agent/kube/kube_client.h"

namespace cairn::kube {

struct ApiResource {
  std::string group;     // "" for the core group
  std::string version;   // "v1"
  std::string resource;  // plural, lowercase: "deployments"
  std::string kind;      // "Deployment"
  bool namespaced = false;
  bool preferred = false;  // this version is its group's preferred version
  std::vector<std::string> verbs;

  std::string group_version() const;  // "v1" or "apps/v1"
  bool HasVerb(std::string_view verb) const;
  // "deployments.apps", "pods" (what kubectl and our filters call it).
  std::string qualified_name() const;
  // "/api/v1/pods", "/apis/apps/v1/namespaces/ns/deployments" (ns "" = all
  // namespaces, or cluster-scoped).
  std::string CollectionPath(const std::string& ns = "") const;
  // ".../namespaces/ns/deployments/name"; ns ignored for cluster-scoped.
  std::string ObjectPath(const std::string& ns, const std::string& name) const;
};

struct DiscoveryResult {
  std::vector<ApiResource> resources;  // every served version, preferred flagged
  std::vector<std::string> warnings;   // group versions that could not be read

  // One version of each resource (what a backup lists): its group's
  // preferred version, or -- for a resource the preferred version does not
  // serve -- the first version that serves it, in the server's order.
  std::vector<const ApiResource*> Preferred() const;
  // The resource serving `kind` in `group_version` ("apps/v1"); nullptr if
  // none. Falls back to nothing: callers decide what a missing version means.
  const ApiResource* FindKind(const std::string& group_version, const std::string& kind) const;
  // The preferred-version resource for `kind` in `group`; nullptr if none.
  const ApiResource* FindPreferredKind(const std::string& group, const std::string& kind) const;
};

Result<DiscoveryResult> Discover(KubeClient& client);

}  // namespace cairn::kube
