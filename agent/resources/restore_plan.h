// RestorePlan: what a resources restore will do, object by object, before it
// touches anything: selection (restore_selection.h), mappings and patches
// (object_transform.h), the API each object goes to on the target, and the
// order (restore_order.h). --dry-run prints it, --to-dir writes it as YAML,
// the applier carries it out.
//
// Target API: with the target's discovery, an object keeps its apiVersion
// when the target serves it, else takes its group's preferred version for
// that kind (a warning: fields may not convert); a kind the target does not
// serve but a CRD of the same restore defines waits for that CRD
// (pending_crd); any other kind fails ("no resource for kind X in group Y on
// the target: restore its CRD first"). Without discovery (--to-dir, or a dry
// run with the target unreachable) the snapshot's resource names are used.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/kube/discovery.h"
#include "agent/resources/object_transform.h"
#include "agent/resources/resource_set.h"
#include "agent/resources/restore_selection.h"

namespace cairn::kube {

struct PlannedObject {
  std::string path;  // the snapshot file it came from
  std::string group, version, resource, kind, ns, name;  // on the target, after mappings
  bool custom = false;       // a kind defined by a CRD (ranks with custom resources)
  bool pending_crd = false;  // served only once a CRD of this restore is established
  nlohmann::json object;     // what will be sent (apiVersion as resolved)
  std::vector<std::string> notes;  // mappings and version changes
  std::string error;               // non-empty: fails without touching the target

  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  // "apps/v1 Deployment shop/web"
  std::string Describe() const;
  // "deployments.apps", "pods"
  std::string QualifiedResource() const { return group.empty() ? resource : resource + "." + group; }
  // The resolved resource and its API paths.
  ApiResource TargetResource() const;
  std::string CollectionPath() const;
  std::string ObjectPath() const;
};

struct PlanOptions {
  SelectionOptions selection;
  TransformOptions transforms;
};

struct RestorePlan {
  std::vector<PlannedObject> objects;  // in restore order
  std::vector<std::string> notes;      // what selection did
  std::vector<std::string> warnings;
};

// `target` null: no discovery (see above). InvalidArgument only for options
// that cannot work (a selector that does not parse); per-object problems are
// PlannedObject::error.
Result<RestorePlan> BuildRestorePlan(const ResourceSet& set, const PlanOptions& options,
                                     const DiscoveryResult* target);

// Resolves `object`'s target API against discovery (as above); used by the
// planner and by the applier once CRDs are served. `crd_defined`: whether a
// CRD of this restore defines the kind (then an unserved kind is pending,
// not failed). Sets group/version/resource, apiVersion, notes or error.
void ResolveTargetApi(PlannedObject& object, const DiscoveryResult& target, bool crd_defined);

}  // namespace cairn::kube
