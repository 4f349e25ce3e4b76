// ResourceFilter: which resource types and which objects a resources backup
// takes, from the user's include/exclude options.
//
// Types (checked in this order; the first that applies is the reason a type
// is skipped, recorded in the snapshot's index):
//   1. no "list" verb                       -> "not listable"
//   2. matched by exclude_resources          -> "excluded by --exclude-resources"
//   3. include_resources given, not matched  -> "not in --include-resources"
//   4. excluded by default (transient or derived, see DefaultExclusion) and
//      not named by include_resources ("*" does not name it)
//                                             -> "excluded by default: <why>"
//   5. cluster-scoped and cluster_resources is "no", or "auto" with
//      include_namespaces given              -> "cluster-scoped: ..."
//      (the `namespaces` type is the exception in "auto": its objects are the
//      included namespaces themselves, so a namespace restores with its
//      labels and annotations)
// A type pattern is "deployments" (any group), "deployments.apps",
// "widgets.example.com", "pods.core" (the core group) or "*"; the singular
// kind ("deployment") matches too; case does not matter.
//
// Objects: a namespaced object's namespace (a Namespace's own name) must be
// in include_namespaces when that is given, and not in exclude_namespaces.
// The label selector is checked here once and sent to the server with every
// list (labelSelector=...).
//
// Thread-safety: immutable after Create.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/kube/discovery.h"
#include "core/base/status.h"

namespace cairn::kube {

struct ResourceFilterOptions {
  // (Every field has an initializer so designated initializers may skip any.)
  std::vector<std::string> include_namespaces{};  // empty: all
  std::vector<std::string> exclude_namespaces{};
  std::vector<std::string> include_resources{};  // empty: all
  std::vector<std::string> exclude_resources{};
  std::string selector{};                  // label selector, "" = everything
  std::string cluster_resources = "auto";  // "auto", "yes" or "no"
};

// Why a type is left out of every backup unless named explicitly; nullopt
// for the others. ("transient: events expire within an hour", ...)
std::optional<std::string> DefaultExclusion(const ApiResource& resource);

class ResourceFilter {
 public:
  // InvalidArgument naming the option: a malformed selector, an unknown
  // cluster_resources value, an empty or malformed type pattern or namespace.
  static Result<ResourceFilter> Create(const ResourceFilterOptions& options);

  // nullopt: back the type up; otherwise why not (see above).
  std::optional<std::string> SkipReason(const ApiResource& resource) const;
  // Whether objects in namespace `ns` are taken.
  bool IncludesNamespace(const std::string& ns) const;
  // Whether `object` (listed from `resource`) is taken: its namespace, or for
  // a Namespace object its name.
  bool IncludesObject(const ApiResource& resource, const nlohmann::json& object) const;
  // The namespaces to list one by one (include_namespaces); empty: list
  // across all namespaces and filter here.
  const std::vector<std::string>& list_namespaces() const { return options_.include_namespaces; }
  const std::string& label_selector() const { return options_.selector; }
  // The options, for the snapshot's index.
  nlohmann::json ToJson() const;

 private:
  struct Pattern {
    std::string resource;  // lowercase; "*" = any
    std::optional<std::string> group;  // nullopt: any group; "" = core
  };
  static bool Matches(const Pattern& p, const ApiResource& r);
  static bool AnyMatches(const std::vector<Pattern>& ps, const ApiResource& r, bool named_only);

  ResourceFilterOptions options_;
  std::vector<Pattern> include_, exclude_;
  std::set<std::string> include_ns_, exclude_ns_;
};

}  // namespace cairn::kube
