// Which objects of a ResourceSet a restore touches.
//
// Namespaced objects: selected when their namespace passes
// --include-namespaces/--exclude-namespaces, their type passes
// --include-resources/--exclude-resources and their labels match --selector
// and --app (the label app_label=NAME); all filters are ANDed.
//
// Cluster-scoped objects (--cluster-resources):
//  - no:   none.
//  - yes:  every one passing the type filter and the label filters, plus
//          what auto adds.
//  - auto: on a full restore (no namespace, app or selector filter) every one
//          passing the type filter; with such a filter, only the Namespace
//          objects of the namespaces selected objects live in (or that
//          --include-namespaces names), the PersistentVolumes bound to
//          selected PersistentVolumeClaims, and the CustomResourceDefinitions
//          of selected custom resources (created only where the target lacks
//          them) -- a restore of one app or one namespace touches nothing
//          else in the cluster.
// What auto adds passes --exclude-resources but not --include-resources
// (asking for deployments of a namespace still brings its Namespace).
//
// Type names: "deployments", "deployments.apps", "widgets.example.com", and
// the kind in lower case ("deployment"); case-insensitive.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "agent/resources/resource_set.h"

namespace cairn::kube {

enum class ClusterResources { kAuto, kYes, kNo };
// "auto", "yes", "no"; InvalidArgument otherwise.
Result<ClusterResources> ParseClusterResources(const std::string& text);

struct SelectionOptions {
  std::vector<std::string> include_namespaces;  // empty: all
  std::vector<std::string> exclude_namespaces;
  std::vector<std::string> include_resources;   // empty: all
  std::vector<std::string> exclude_resources;
  std::string selector;  // label selector text
  std::string app;       // shorthand for app_label=app
  std::string app_label = "app.kubernetes.io/name";
  ClusterResources cluster_resources = ClusterResources::kAuto;
};

struct Selection {
  std::vector<std::size_t> selected;  // indices into ResourceSet::objects, ascending
  std::vector<std::string> notes;     // what the filters did, for the report
};

// InvalidArgument for a selector that does not parse.
Result<Selection> SelectObjects(const ResourceSet& set, const SelectionOptions& options);

// Whether a user's type name ("deployments.apps") names this resource.
bool ResourceNameMatches(const std::string& pattern, const std::string& group,
                         const std::string& resource, const std::string& kind);

}  // namespace cairn::kube
