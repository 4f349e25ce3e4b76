#include "agent/resources/restore_plan.h"

#include <set>

#include "agent/resources/restore_order.h"

namespace cairn::kube {
namespace {

using nlohmann::json;

// Groups the API server itself serves (core, "apps", "*.k8s.io", ...): their
// kinds are never waited for and rank with the built-in rest.
bool IsBuiltInGroup(const std::string& group) {
  if (group.find('.') == std::string::npos) return true;
  auto ends_with = [&](std::string_view suffix) {
    return group.size() >= suffix.size() &&
           group.compare(group.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends_with(".k8s.io") || ends_with(".kubernetes.io");
}

// The (group, kind) pairs the CRDs in `set` define, with their plural and scope.
struct CrdKind {
  std::string plural;
  bool namespaced = true;
};

std::map<std::pair<std::string, std::string>, CrdKind> CrdKinds(const ResourceSet& set,
                                                                 const std::vector<std::size_t>& selected) {
  std::map<std::pair<std::string, std::string>, CrdKind> out;
  for (std::size_t i : selected) {
    const ResourceObject& o = set.objects[i];
    if (o.file.group != "apiextensions.k8s.io" || o.kind != "CustomResourceDefinition") continue;
    std::string group = StringAt(o.object, {"spec", "group"});
    std::string kind = StringAt(o.object, {"spec", "names", "kind"});
    if (group.empty() || kind.empty()) continue;
    out[{group, kind}] = CrdKind{StringAt(o.object, {"spec", "names", "plural"}),
                                 StringAt(o.object, {"spec", "scope"}) != "Cluster"};
  }
  return out;
}

}  // namespace

std::string PlannedObject::Describe() const {
  return api_version() + " " + kind + " " + (ns.empty() ? name : ns + "/" + name);
}

ApiResource PlannedObject::TargetResource() const {
  ApiResource r;
  r.group = group;
  r.version = version;
  r.resource = resource;
  r.kind = kind;
  r.namespaced = !ns.empty();
  return r;
}

std::string PlannedObject::CollectionPath() const { return TargetResource().CollectionPath(ns); }

std::string PlannedObject::ObjectPath() const { return TargetResource().ObjectPath(ns, name); }

void ResolveTargetApi(PlannedObject& o, const DiscoveryResult& target, bool crd_defined) {
  const ApiResource* r = target.FindKind(o.api_version(), o.kind);
  if (r == nullptr) {
    r = target.FindPreferredKind(o.group, o.kind);
    if (r != nullptr) {
      o.notes.push_back("apiVersion " + o.api_version() + " not served by the target, sent as " +
                        r->group_version());
    }
  }
  if (r == nullptr) {
    if (crd_defined) {
      o.pending_crd = true;
      return;
    }
    o.error = "no resource for kind " + o.kind + " in group \"" + o.group +
              "\" on the target: restore its CRD first";
    return;
  }
  if (r->namespaced != !o.ns.empty()) {
    o.error = std::string(r->namespaced ? "namespaced" : "cluster-scoped") + " on the target (" +
              r->qualified_name() + ") but " +
              (o.ns.empty() ? "cluster-scoped" : "namespaced") + " in the snapshot";
    return;
  }
  o.pending_crd = false;
  o.version = r->version;
  o.resource = r->resource;
  o.object["apiVersion"] = o.api_version();
}

Result<RestorePlan> BuildRestorePlan(const ResourceSet& set, const PlanOptions& options,
                                     const DiscoveryResult* target) {
  RestorePlan plan;
  CAIRN_ASSIGN_OR_RETURN(Selection selection, SelectObjects(set, options.selection));
  plan.notes = selection.notes;
  auto crd_kinds = CrdKinds(set, selection.selected);

  std::vector<PlannedObject> objects;
  objects.reserve(selection.selected.size());
  for (std::size_t i : selection.selected) {
    const ResourceObject& src = set.objects[i];
    PlannedObject o;
    o.path = src.path;
    o.object = src.object;
    o.group = src.file.group;
    o.version = src.version;
    o.resource = src.file.resource;
    o.kind = src.kind;
    Status s = TransformObject(o.object, options.transforms, o.notes);
    o.ns = StringAt(o.object, {"metadata", "namespace"});
    o.name = StringAt(o.object, {"metadata", "name"});
    auto [group, version] = SplitApiVersion(StringAt(o.object, {"apiVersion"}));
    std::string kind = StringAt(o.object, {"kind"});
    if (!s.ok()) {
      o.error = s.message();
    } else if (o.name.empty() || kind.empty() || version.empty()) {
      o.error = "after the transforms the object has no name, kind or apiVersion";
    } else if (src.namespaced() && o.ns.empty()) {
      o.error = "after the transforms the namespaced object has no namespace";
    } else if (group != o.group || kind != o.kind) {
      // A patch may change the version, not what the object is.
      o.error = "the transforms changed the kind or group (" + o.group + " " + o.kind + " -> " +
                group + " " + kind + "); restore it under its own kind";
    } else {
      o.version = version;
    }
    bool crd_defined = crd_kinds.count({o.group, o.kind}) != 0;
    o.custom = crd_defined || !IsBuiltInGroup(o.group);
    if (o.error.empty() && target != nullptr) {
      ResolveTargetApi(o, *target, crd_defined);
      if (o.pending_crd) {
        const CrdKind& crd = crd_kinds[{o.group, o.kind}];
        if (!crd.plural.empty()) o.resource = crd.plural;
        o.notes.push_back("waits for its CRD");
      }
    }
    for (const std::string& n : o.notes) {
      if (n.rfind("apiVersion ", 0) == 0) plan.warnings.push_back(o.Describe() + ": " + n);
    }
    objects.push_back(std::move(o));
  }

  std::vector<OrderItem> items;
  items.reserve(objects.size());
  for (const PlannedObject& o : objects) {
    items.push_back(OrderItem{o.group, o.resource, o.kind, o.ns, o.name, o.custom, &o.object});
  }
  OrderResult order = OrderForRestore(items);
  for (std::string& w : order.warnings) plan.warnings.push_back(std::move(w));
  plan.objects.reserve(objects.size());
  for (std::size_t i : order.order) plan.objects.push_back(std::move(objects[i]));
  return plan;
}

}  // namespace cairn::kube
