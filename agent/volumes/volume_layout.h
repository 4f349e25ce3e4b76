// Where volume files live inside a snapshot, and the names that build those
// paths. A volume backup's entries are
//
//   volumes                       directory
//   volumes/<namespace>           directory
//   volumes/<namespace>/<pvc>     the PVC's root directory (its "." re-rooted)
//   volumes/<namespace>/<pvc>/... the PVC's files, as TreeWalker lists them
//
// so the same PVC keeps the same paths from one backup to the next whatever
// pod or node mounts it (the files cache matches on paths). Restores re-root
// one PVC's entries back to "." and write them wherever that PVC should go.
//
// Namespace and PVC names come from the API server: they are checked against
// Kubernetes' own rules (DNS-1123 label / subdomain) before they become path
// components, so "..", "/" or an empty name never reach a path.
//
// Thread-safety: pure functions and plain values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/store/manifest.h"
#include "core/tree/tree_entry.h"

namespace cairn::volumes {

inline constexpr std::string_view kVolumesRoot = "volumes";

struct PvcRef {
  std::string ns;
  std::string name;
  std::string ToString() const { return ns + "/" + name; }
  friend bool operator==(const PvcRef&, const PvcRef&) = default;
  friend auto operator<=>(const PvcRef&, const PvcRef&) = default;
};

// DNS-1123 label (namespaces): 1-63 of [a-z0-9-], alphanumeric at both ends.
Status ValidateNamespaceName(std::string_view name);
// DNS-1123 subdomain (PVC and PV names): 1-253 of [a-z0-9-.], alphanumeric
// at both ends.
Status ValidateObjectName(std::string_view what, std::string_view name);

// "ns/name" as given to --pvc. InvalidArgument saying the expected form.
Result<PvcRef> ParsePvcRef(std::string_view text);

// "volumes/<ns>/<pvc>".
std::string VolumePrefix(const PvcRef& pvc);

// `entry` (relative to the PVC's root, "." for the root) moved under
// `prefix`; a hard link's target moves with it.
void RerootEntry(TreeEntry& entry, std::string_view prefix);

// The PVCs a manifest holds volume data for, sorted.
std::vector<PvcRef> ListSnapshotVolumes(const Manifest& manifest);

// The entries of one PVC, in manifest order, re-rooted so the PVC's root is
// "." (the inverse of RerootEntry). Empty when the snapshot has none.
std::vector<TreeEntry> ExtractVolumeEntries(const Manifest& manifest, const PvcRef& pvc);

// The manifest narrowed to one PVC (ExtractVolumeEntries), the rest of its
// fields kept: what a restore of that PVC alone hands to RestoreManifest, so
// no other volume's chunk is fetched.
Manifest VolumeManifest(const Manifest& manifest, const PvcRef& pvc);

}  // namespace cairn::volumes
