// The order a restore creates objects in, so that each finds what it needs:
// CRDs, Namespaces, StorageClasses, PVs, PVCs, ServiceAccounts, ClusterRoles,
// ClusterRoleBindings, Roles, RoleBindings, Secrets, ConfigMaps, then
// workloads (Deployments, StatefulSets, DaemonSets, CronJobs, Jobs,
// ReplicaSets, ReplicationControllers, Pods), then built-in rest (Services,
// Ingresses, ...), then custom resources (whose CRDs must be served first).
//
// On top of the ranks, an object with ownerReferences comes after its owners
// when they are restored too (a ReplicaSet owned by a custom resource moves
// after it): the applier fills the owner's new uid into the reference, so the
// owner must exist first. A cycle of owners (never valid in Kubernetes) keeps
// rank order and is reported.
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cairn::kube {

// Group-wise order rank; also the directory prefix of --to-dir ("00-...").
int RestoreRank(const std::string& group, const std::string& resource, bool custom);
inline constexpr int kRankCustomResources = 21;

struct OrderItem {
  std::string group, resource, kind, ns, name;
  bool custom = false;               // its group is defined by a CRD (in the set or the target)
  const nlohmann::json* object = nullptr;  // for ownerReferences
};

struct OrderResult {
  std::vector<std::size_t> order;      // indices into the items
  std::vector<std::string> warnings;   // owner cycles
};

OrderResult OrderForRestore(const std::vector<OrderItem>& items);

// The key an owner reference is matched by: group/kind/namespace/name.
std::string OwnerKey(const std::string& group, const std::string& kind, const std::string& ns,
                     const std::string& name);

}  // namespace cairn::kube
