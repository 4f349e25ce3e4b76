#include "agent/resources/object_transform.h"

#include <set>

#include "agent/resources/resource_set.h"
#include "agent/resources/yaml_writer.h"

namespace cairn::kube {
namespace {

using nlohmann::json;

const char* const kClassAnnotations[] = {"volume.beta.kubernetes.io/storage-class",
                                         "volume.kubernetes.io/storage-class"};

std::string Describe(const json& object) {
  std::string ns = StringAt(object, {"metadata", "namespace"});
  std::string name = StringAt(object, {"metadata", "name"});
  return StringAt(object, {"kind"}) + " " + (ns.empty() ? name : ns + "/" + name);
}

// Replaces the string at `slot` when the mapping names it; notes the change.
void MapString(json* slot, const std::map<std::string, std::string>& mapping,
               const std::string& what, std::vector<std::string>& notes) {
  if (slot == nullptr || !slot->is_string()) return;
  auto it = mapping.find(slot->get<std::string>());
  if (it == mapping.end()) return;
  notes.push_back(what + " " + it->first + " -> " + it->second);
  *slot = it->second;
}

json* MutableAt(json& j, std::initializer_list<std::string_view> keys) {
  return const_cast<json*>(JsonAt(j, keys));
}

void MapNamespaces(json& object, const std::map<std::string, std::string>& mapping,
                   std::vector<std::string>& notes) {
  std::string group = SplitApiVersion(StringAt(object, {"apiVersion"})).first;
  std::string kind = StringAt(object, {"kind"});
  MapString(MutableAt(object, {"metadata", "namespace"}), mapping, "namespace", notes);
  if (group.empty() && kind == "Namespace") {
    MapString(MutableAt(object, {"metadata", "name"}), mapping, "namespace", notes);
  }
  if (group.empty() && kind == "PersistentVolume") {
    MapString(MutableAt(object, {"spec", "claimRef", "namespace"}), mapping, "claimRef namespace",
              notes);
  }
  if (group == "rbac.authorization.k8s.io" && (kind == "RoleBinding" || kind == "ClusterRoleBinding")) {
    json* subjects = MutableAt(object, {"subjects"});
    if (subjects != nullptr && subjects->is_array()) {
      for (json& subject : *subjects) {
        MapString(MutableAt(subject, {"namespace"}), mapping, "subject namespace", notes);
      }
    }
  }
}

void MapClassOf(json& object, const std::map<std::string, std::string>& mapping,
                std::vector<std::string>& notes) {
  MapString(MutableAt(object, {"spec", "storageClassName"}), mapping, "storage class", notes);
  for (const char* key : kClassAnnotations) {
    MapString(MutableAt(object, {"metadata", "annotations", key}), mapping, key, notes);
  }
}

void MapStorageClasses(json& object, const std::map<std::string, std::string>& mapping,
                       std::vector<std::string>& notes) {
  std::string group = SplitApiVersion(StringAt(object, {"apiVersion"})).first;
  std::string kind = StringAt(object, {"kind"});
  if (group.empty() && (kind == "PersistentVolumeClaim" || kind == "PersistentVolume")) {
    MapClassOf(object, mapping, notes);
  }
  if (group == "apps" && kind == "StatefulSet") {
    json* templates = MutableAt(object, {"spec", "volumeClaimTemplates"});
    if (templates != nullptr && templates->is_array()) {
      for (json& t : *templates) MapClassOf(t, mapping, notes);
    }
  }
}

bool RuleMatches(const TransformRule& rule, const json& object) {
  auto [group, version] = SplitApiVersion(StringAt(object, {"apiVersion"}));
  (void)version;
  if (rule.group && *rule.group != group) return false;
  if (rule.kind && *rule.kind != StringAt(object, {"kind"})) return false;
  if (rule.ns && *rule.ns != StringAt(object, {"metadata", "namespace"})) return false;
  if (rule.name && *rule.name != StringAt(object, {"metadata", "name"})) return false;
  return !rule.selector || rule.selector->Matches(object);
}

Result<std::optional<std::string>> OptionalString(const json& match, const char* key,
                                                  const std::string& where) {
  auto it = match.find(key);
  if (it == match.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return Status::InvalidArgument(where + ": match." + key + " must be a string");
  return std::optional<std::string>(it->get<std::string>());
}

}  // namespace

Result<std::map<std::string, std::string>> ParseMapping(const std::vector<std::string>& values,
                                                        const std::string& flag) {
  std::map<std::string, std::string> out;
  for (const std::string& value : values) {
    std::size_t start = 0;
    while (start <= value.size()) {
      std::size_t comma = value.find(',', start);
      std::string pair = value.substr(start, comma == std::string::npos ? std::string::npos
                                                                         : comma - start);
      start = comma == std::string::npos ? value.size() + 1 : comma + 1;
      if (pair.empty()) continue;
      auto eq = pair.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == pair.size() ||
          pair.find('=', eq + 1) != std::string::npos) {
        return Status::InvalidArgument(flag + " " + pair + ": expected old=new");
      }
      std::string from = pair.substr(0, eq);
      if (!out.emplace(from, pair.substr(eq + 1)).second) {
        return Status::InvalidArgument(flag + ": " + from + " is mapped twice");
      }
    }
  }
  return out;
}

Result<std::vector<TransformRule>> ParseTransformRules(std::string_view text,
                                                       const std::string& name) {
  // JSON is YAML, so one parser takes both.
  CAIRN_ASSIGN_OR_RETURN(json doc, YamlToJson(text, name));
  if (!doc.is_array()) {
    return Status::InvalidArgument(name + ": expected a list of {match: {...}, patch: [...]} rules");
  }
  std::vector<TransformRule> rules;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const json& r = doc[i];
    TransformRule rule;
    rule.source = "rule " + std::to_string(i + 1) + " of " + name;
    if (!r.is_object()) return Status::InvalidArgument(rule.source + ": not a mapping");
    for (auto it = r.begin(); it != r.end(); ++it) {
      if (it.key() != "match" && it.key() != "patch") {
        return Status::InvalidArgument(rule.source + ": unknown field \"" + it.key() +
                                       "\" (expected match and patch)");
      }
    }
    auto match = r.find("match");
    if (match != r.end() && !match->is_null()) {
      if (!match->is_object()) return Status::InvalidArgument(rule.source + ": match must be a mapping");
      for (auto it = match->begin(); it != match->end(); ++it) {
        static const std::set<std::string> kKnown = {"group", "kind", "namespace", "name", "selector"};
        if (kKnown.count(it.key()) == 0) {
          return Status::InvalidArgument(rule.source + ": unknown match field \"" + it.key() +
                                         "\" (group, kind, namespace, name, selector)");
        }
      }
      CAIRN_ASSIGN_OR_RETURN(rule.group, OptionalString(*match, "group", rule.source));
      CAIRN_ASSIGN_OR_RETURN(rule.kind, OptionalString(*match, "kind", rule.source));
      CAIRN_ASSIGN_OR_RETURN(rule.ns, OptionalString(*match, "namespace", rule.source));
      CAIRN_ASSIGN_OR_RETURN(rule.name, OptionalString(*match, "name", rule.source));
      CAIRN_ASSIGN_OR_RETURN(auto selector, OptionalString(*match, "selector", rule.source));
      if (selector) {
        Result<LabelSelector> parsed = LabelSelector::Parse(*selector);
        if (!parsed.ok()) return parsed.error().WithContext(rule.source);
        rule.selector = std::move(*parsed);
      }
    }
    auto patch = r.find("patch");
    if (patch == r.end() || !patch->is_array() || patch->empty()) {
      return Status::InvalidArgument(rule.source + ": patch must be a non-empty list of RFC 6902 "
                                     "operations ({op: replace, path: /spec/replicas, value: 1})");
    }
    for (const json& op : *patch) {
      if (!op.is_object() || !op.contains("op") || !op["op"].is_string() || !op.contains("path") ||
          !op["path"].is_string()) {
        return Status::InvalidArgument(rule.source + ": operation " + op.dump() +
                                       " needs string fields op and path");
      }
    }
    rule.patch = *patch;
    rules.push_back(std::move(rule));
  }
  return rules;
}

Status TransformObject(json& object, const TransformOptions& options,
                       std::vector<std::string>& notes) {
  if (!options.namespace_mapping.empty()) MapNamespaces(object, options.namespace_mapping, notes);
  if (!options.storage_class_mapping.empty()) {
    MapStorageClasses(object, options.storage_class_mapping, notes);
  }
  for (const TransformRule& rule : options.rules) {
    if (!RuleMatches(rule, object)) continue;
    // One operation at a time so a failure can name the one that failed;
    // the object changes only when the whole rule applied.
    json patched = object;
    for (std::size_t i = 0; i < rule.patch.size(); ++i) {
      try {
        patched = patched.patch(json::array({rule.patch[i]}));
      } catch (const json::exception& e) {
        return Status::InvalidArgument(rule.source + ": operation " + std::to_string(i + 1) + " " +
                                       rule.patch[i].dump() + " failed on " + Describe(object) +
                                       ": " + e.what());
      }
    }
    if (!patched.is_object()) {
      return Status::InvalidArgument(rule.source + " made " + Describe(object) +
                                     " something other than an object");
    }
    object = std::move(patched);
    notes.push_back(rule.source);
  }
  return Status::Ok();
}

}  // namespace cairn::kube
