#include "agent/resources/restore_order.h"

#include <algorithm>
#include <functional>
#include <map>
#include <queue>
#include <tuple>

#include "agent/resources/resource_set.h"

namespace cairn::kube {
namespace {

struct Ranked {
  const char* group;
  const char* resource;
};

// Index = rank. Built-in types not listed here rank kRankCustomResources - 1.
constexpr Ranked kRanks[] = {
    {"apiextensions.k8s.io", "customresourcedefinitions"},
    {"", "namespaces"},
    {"storage.k8s.io", "storageclasses"},
    {"", "persistentvolumes"},
    {"", "persistentvolumeclaims"},
    {"", "serviceaccounts"},
    {"rbac.authorization.k8s.io", "clusterroles"},
    {"rbac.authorization.k8s.io", "clusterrolebindings"},
    {"rbac.authorization.k8s.io", "roles"},
    {"rbac.authorization.k8s.io", "rolebindings"},
    {"", "secrets"},
    {"", "configmaps"},
    {"apps", "deployments"},
    {"apps", "statefulsets"},
    {"apps", "daemonsets"},
    {"batch", "cronjobs"},
    {"batch", "jobs"},
    {"apps", "replicasets"},
    {"", "replicationcontrollers"},
    {"", "pods"},
};
constexpr int kRankRest = kRankCustomResources - 1;
static_assert(sizeof(kRanks) / sizeof(kRanks[0]) <= static_cast<std::size_t>(kRankRest));

}  // namespace

int RestoreRank(const std::string& group, const std::string& resource, bool custom) {
  for (std::size_t i = 0; i < sizeof(kRanks) / sizeof(kRanks[0]); ++i) {
    if (group == kRanks[i].group && resource == kRanks[i].resource) return static_cast<int>(i);
  }
  return custom ? kRankCustomResources : kRankRest;
}

std::string OwnerKey(const std::string& group, const std::string& kind, const std::string& ns,
                     const std::string& name) {
  return group + "|" + kind + "|" + ns + "|" + name;
}

OrderResult OrderForRestore(const std::vector<OrderItem>& items) {
  OrderResult out;
  const std::size_t n = items.size();
  // Rank order first; ties by group, resource, namespace, name so a plan is
  // the same whatever order the snapshot listed its files in.
  std::vector<std::size_t> ranked(n);
  for (std::size_t i = 0; i < n; ++i) ranked[i] = i;
  std::vector<int> rank(n);
  for (std::size_t i = 0; i < n; ++i) {
    rank[i] = RestoreRank(items[i].group, items[i].resource, items[i].custom);
  }
  std::stable_sort(ranked.begin(), ranked.end(), [&](std::size_t a, std::size_t b) {
    const OrderItem& x = items[a];
    const OrderItem& y = items[b];
    return std::tie(rank[a], x.group, x.resource, x.ns, x.name) <
           std::tie(rank[b], y.group, y.resource, y.ns, y.name);
  });
  std::vector<std::size_t> position(n);
  for (std::size_t p = 0; p < n; ++p) position[ranked[p]] = p;

  std::map<std::string, std::size_t> by_key;
  for (std::size_t i = 0; i < n; ++i) {
    by_key.emplace(OwnerKey(items[i].group, items[i].kind, items[i].ns, items[i].name), i);
  }
  // Edges owner -> dependent, for owners that are restored too.
  std::vector<std::vector<std::size_t>> dependents(n);
  std::vector<int> owners_left(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    if (items[i].object == nullptr) continue;
    const nlohmann::json* refs = JsonAt(*items[i].object, {"metadata", "ownerReferences"});
    if (refs == nullptr || !refs->is_array()) continue;
    for (const nlohmann::json& ref : *refs) {
      std::string group = SplitApiVersion(StringAt(ref, {"apiVersion"})).first;
      std::string kind = StringAt(ref, {"kind"});
      std::string name = StringAt(ref, {"name"});
      // A namespaced dependent's owner is in its namespace or cluster-scoped.
      auto it = by_key.find(OwnerKey(group, kind, items[i].ns, name));
      if (it == by_key.end()) it = by_key.find(OwnerKey(group, kind, "", name));
      if (it == by_key.end() || it->second == i) continue;
      dependents[it->second].push_back(i);
      ++owners_left[i];
    }
  }
  // Kahn's algorithm, always taking the ready item earliest in rank order.
  std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;
  for (std::size_t i = 0; i < n; ++i) {
    if (owners_left[i] == 0) ready.push(position[i]);
  }
  std::vector<bool> placed(n, false);
  while (!ready.empty()) {
    std::size_t i = ranked[ready.top()];
    ready.pop();
    placed[i] = true;
    out.order.push_back(i);
    for (std::size_t d : dependents[i]) {
      if (--owners_left[d] == 0) ready.push(position[d]);
    }
  }
  for (std::size_t p = 0; p < n; ++p) {
    std::size_t i = ranked[p];
    if (placed[i]) continue;
    out.warnings.push_back(items[i].kind + " " + (items[i].ns.empty() ? "" : items[i].ns + "/") +
                           items[i].name +
                           ": its ownerReferences form a cycle; restored after everything else");
    out.order.push_back(i);
  }
  return out;
}

}  // namespace cairn::kube
