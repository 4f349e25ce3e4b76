// ListAll: lists one resource type in pages (limit/continue), as client-go's
// pager does. When the server answers 410 Gone (the continue token expired
// because the list took too long or etcd compacted), the list starts over
// from the beginning, at most max_restarts times, and the items gathered so
// far are dropped so nothing is counted twice.
//
// Items in a list response carry no apiVersion/kind; ListAll sets both from
// the resource, so every item is a complete object.
//
// Memory: one resource type's items are held at once (bounded by
// max_items, beyond which the list fails with IoError naming the type).
// Thread-safety: uses the client on the calling thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/kube/discovery.h"
#include "agent/kube/kube_client.h"

namespace cairn::kube {

struct ListOptions {
  std::string ns;              // "" = all namespaces (or cluster-scoped)
  std::string label_selector;  // passed to the server as labelSelector
  std::string field_selector;  // passed as fieldSelector
  int page_size = 500;
  int max_restarts = 3;
  std::size_t max_items = 1'000'000;
};

struct ListResult {
  std::vector<nlohmann::json> items;
  int pages = 0;
  int restarts = 0;  // 410 Gone restarts that happened
  std::string resource_version;  // of the last page
};

// Errors: a page's error as KubeStatusError prefixed "list <qualified name>"
// (403 -> PermissionDenied for the caller to turn into a warning; network
// failures and 429/5xx after the client's retries -> Unavailable); 410
// beyond max_restarts -> Unavailable; a page that is not a JSON list ->
// Corruption; more than max_items -> IoError.
Result<ListResult> ListAll(KubeClient& client, const ApiResource& resource,
                           const ListOptions& options = {});

}  // namespace cairn::kube
