#include "agent/resources/restore_selection.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "agent/kube/label_selector.h"

namespace cairn::kube {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool AnyMatches(const std::vector<std::string>& patterns, const ResourceObject& o) {
  for (const std::string& p : patterns) {
    if (ResourceNameMatches(p, o.file.group, o.file.resource, o.kind)) return true;
  }
  return false;
}

bool IsCore(const ResourceObject& o, const char* resource) {
  return o.file.group.empty() && o.file.resource == resource;
}

bool IsCustomResourceDefinition(const ResourceObject& o) {
  return o.file.group == "apiextensions.k8s.io" && o.file.resource == "customresourcedefinitions";
}

}  // namespace

Result<ClusterResources> ParseClusterResources(const std::string& text) {
  if (text == "auto") return ClusterResources::kAuto;
  if (text == "yes") return ClusterResources::kYes;
  if (text == "no") return ClusterResources::kNo;
  return Status::InvalidArgument("--cluster-resources " + text + ": expected auto, yes or no");
}

bool ResourceNameMatches(const std::string& pattern, const std::string& group,
                         const std::string& resource, const std::string& kind) {
  std::string p = Lower(pattern);
  std::string lkind = Lower(kind);
  if (p == resource || p == lkind) return true;
  if (group.empty()) return false;
  return p == resource + "." + group || p == lkind + "." + group;
}

Result<Selection> SelectObjects(const ResourceSet& set, const SelectionOptions& options) {
  Selection out;
  std::string selector_text = options.selector;
  if (!options.app.empty()) {
    if (!selector_text.empty()) selector_text += ",";
    selector_text += options.app_label + "=" + options.app;
  }
  Result<LabelSelector> selector = LabelSelector::Parse(selector_text);
  if (!selector.ok()) return selector.error().WithContext("--selector/--app");
  const bool filtered = !options.include_namespaces.empty() ||
                        !options.exclude_namespaces.empty() || !selector->empty();

  auto type_passes = [&](const ResourceObject& o) {
    if (!options.include_resources.empty() && !AnyMatches(options.include_resources, o)) {
      return false;
    }
    return !AnyMatches(options.exclude_resources, o);
  };
  auto ns_passes = [&](const std::string& ns) {
    if (!options.include_namespaces.empty() && !Contains(options.include_namespaces, ns)) {
      return false;
    }
    return !Contains(options.exclude_namespaces, ns);
  };

  std::vector<bool> chosen(set.objects.size(), false);
  std::set<std::string> namespaces(options.include_namespaces.begin(),
                                   options.include_namespaces.end());
  // PVCs selected, as "ns/name", and the volumes they name.
  std::set<std::string> claims;
  std::set<std::string> claimed_volumes;
  // "<kind>.<group>" of the selected objects: their CRDs come along, or a
  // namespace or app restore into another cluster fails on every custom
  // resource (the CRD is created only if the target lacks it).
  std::set<std::string> selected_kinds;
  for (std::size_t i = 0; i < set.objects.size(); ++i) {
    const ResourceObject& o = set.objects[i];
    if (!o.namespaced()) continue;
    if (!ns_passes(o.file.ns) || !type_passes(o) || !selector->Matches(o.object)) continue;
    chosen[i] = true;
    namespaces.insert(o.file.ns);
    if (!o.file.group.empty()) selected_kinds.insert(o.kind + "." + o.file.group);
    if (IsCore(o, "persistentvolumeclaims")) {
      claims.insert(o.file.ns + "/" + o.file.name);
      std::string volume = StringAt(o.object, {"spec", "volumeName"});
      if (!volume.empty()) claimed_volumes.insert(volume);
    }
  }
  for (const std::string& ns : options.exclude_namespaces) namespaces.erase(ns);

  std::size_t auto_added = 0;
  for (std::size_t i = 0; i < set.objects.size(); ++i) {
    const ResourceObject& o = set.objects[i];
    if (o.namespaced() || options.cluster_resources == ClusterResources::kNo) continue;
    bool wanted = false;
    if (options.cluster_resources == ClusterResources::kYes || !filtered) {
      wanted = type_passes(o) && selector->Matches(o.object);
    }
    if (!wanted && !AnyMatches(options.exclude_resources, o)) {
      // What a filtered restore needs from the cluster scope.
      if (IsCore(o, "namespaces")) {
        wanted = namespaces.count(o.file.name) != 0;
      } else if (IsCore(o, "persistentvolumes")) {
        std::string claim = StringAt(o.object, {"spec", "claimRef", "namespace"}) + "/" +
                            StringAt(o.object, {"spec", "claimRef", "name"});
        wanted = claims.count(claim) != 0 || claimed_volumes.count(o.file.name) != 0;
      } else if (IsCustomResourceDefinition(o)) {
        wanted = selected_kinds.count(StringAt(o.object, {"spec", "names", "kind"}) + "." +
                                      StringAt(o.object, {"spec", "group"})) != 0;
      }
      if (wanted) ++auto_added;
    }
    chosen[i] = wanted;
  }
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    if (chosen[i]) out.selected.push_back(i);
  }
  if (filtered && options.cluster_resources == ClusterResources::kAuto) {
    out.notes.push_back("filtered restore: of the cluster-scoped objects only the " +
                        std::to_string(auto_added) +
                        " Namespace/PersistentVolume/CustomResourceDefinition objects the "
                        "selection needs "
                        "(--cluster-resources yes for all)");
  }
  out.notes.push_back("selected " + std::to_string(out.selected.size()) + " of " +
                      std::to_string(set.objects.size()) + " objects");
  return out;
}

}  // namespace cairn::kube
