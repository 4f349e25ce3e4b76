// ResourceCleaner: strips what the cluster wrote into an object at runtime,
// so a backed-up object can be created again (in the same cluster or
// another) and an unchanged object is byte-identical across backups.
//
// Removed (the complete list; docs/formats.md "Kubernetes resources
// snapshot" repeats it, and the restore tests' normaliser strips the same):
//   status
//   metadata.uid, metadata.resourceVersion, metadata.generation,
//   metadata.managedFields, metadata.creationTimestamp, metadata.selfLink,
//   metadata.deletionTimestamp, metadata.deletionGracePeriodSeconds
//   metadata.ownerReferences[].uid (the owner gets a new uid when restored;
//     the restorer resolves owners by kind and name)
//   Services (apiVersion v1, kind Service): spec.clusterIP and
//     spec.clusterIPs, unless headless ("None"): the cluster allocates them,
//     and restoring them into another cluster collides.
// Everything else is kept: labels, annotations (last-applied-configuration
// included), finalizers, spec, data.
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>

namespace cairn::kube {

// Cleans `object` in place. Anything that is not a JSON object is left as it
// is; missing fields are fine.
void CleanResourceInPlace(nlohmann::json& object);

// A cleaned copy.
inline nlohmann::json CleanResource(nlohmann::json object) {
  CleanResourceInPlace(object);
  return object;
}

}  // namespace cairn::kube
