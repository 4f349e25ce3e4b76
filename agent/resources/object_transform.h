// What a restore changes in each object before it is created, for migration:
//
//  - namespace mapping (old=new): metadata.namespace of namespaced objects,
//    the name of Namespace objects, subjects[].namespace of RoleBindings and
//    ClusterRoleBindings, spec.claimRef.namespace of PersistentVolumes;
//  - storage-class mapping (old=new): spec.storageClassName of PVCs and PVs,
//    the volume.beta.kubernetes.io/storage-class and
//    volume.kubernetes.io/storage-class annotations on them, and the claim
//    templates of StatefulSets (their PVCs would be made in the old class).
//    StorageClass objects are not renamed: the target has its own classes;
//  - JSON-patch rules from a --transform file, applied after the mappings
//    (so they match and patch the mapped object): a YAML or JSON list of
//      {match: {group, kind, namespace, name, selector}, patch: [RFC 6902 ops]}
//    with every match field optional (an absent match takes every object).
//
// Thread-safety: immutable after parsing; TransformObject is a pure function.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agent/kube/label_selector.h"
#include "core/base/status.h"

namespace cairn::kube {

struct TransformRule {
  std::optional<std::string> group, kind, ns, name;
  std::optional<LabelSelector> selector;
  nlohmann::json patch;  // an array of operations
  std::string source;    // "rule 2 of transforms.yaml", for messages
};

struct TransformOptions {
  std::map<std::string, std::string> namespace_mapping;
  std::map<std::string, std::string> storage_class_mapping;
  std::vector<TransformRule> rules;

  bool empty() const {
    return namespace_mapping.empty() && storage_class_mapping.empty() && rules.empty();
  }
};

// "old=new[,old2=new2]" (repeated flags are joined by the caller).
// InvalidArgument naming `flag` for a malformed pair or an old name twice.
Result<std::map<std::string, std::string>> ParseMapping(const std::vector<std::string>& values,
                                                        const std::string& flag);

// The --transform file's text (YAML or JSON); `name` is used in messages.
Result<std::vector<TransformRule>> ParseTransformRules(std::string_view text,
                                                       const std::string& name);

// Applies everything to `object` in place, appending a note per change
// ("namespace shop -> shop-copy", "rule 1 of t.yaml"). On a failing patch
// the object is left as the mappings made it and the error names the rule,
// the operation and the object.
Status TransformObject(nlohmann::json& object, const TransformOptions& options,
                       std::vector<std::string>& notes);

}  // namespace cairn::kube
