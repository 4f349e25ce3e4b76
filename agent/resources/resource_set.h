// ResourceSet: the objects of a resources snapshot, parsed from its files
// (SnapshotFiles) and checked against the layout (resource_layout.h): every
// object file must hold a JSON object whose apiVersion's group, kind,
// metadata.namespace and metadata.name agree with the file's path and the
// index's entry for that resource. A file that disagrees means the snapshot
// was damaged or tampered with, and the whole set is refused (Corruption
// naming the file and what disagrees): restoring an object somewhere its
// path did not say is how a snapshot could be made to write elsewhere.
//
// Thread-safety: plain values.
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string_view>
#include <string>
#include <vector>

#include "agent/resources/resource_layout.h"
#include "agent/resources/snapshot_files.h"

namespace cairn::kube {

struct ResourceObject {
  std::string path;      // the snapshot file it came from
  ObjectFile file;       // group, resource, namespace, name (from the path)
  std::string version;   // from apiVersion
  std::string kind;
  nlohmann::json object;  // the cleaned object as backed up

  std::string group_version() const { return file.group.empty() ? version : file.group + "/" + version; }
  bool namespaced() const { return !file.ns.empty(); }
  // "Deployment shop/web", "Namespace shop" -- for messages and reports.
  std::string Describe() const;
};

struct ResourceSet {
  ResourceIndex index;
  std::vector<ResourceObject> objects;  // in path order
  std::vector<std::string> warnings;    // files that are not part of the layout, refusals
};

// Corruption for a damaged file or a disagreement (see above); InvalidArgument
// when index.json is missing or of another format/version.
Result<ResourceSet> BuildResourceSet(const SnapshotFiles& files);

// Safe lookups in untrusted objects (never throw): the value at a path of
// object keys, or nullptr when a key is missing or a step is not an object.
const nlohmann::json* JsonAt(const nlohmann::json& j, std::initializer_list<std::string_view> keys);
// The string at the path, "" when missing or not a string.
std::string StringAt(const nlohmann::json& j, std::initializer_list<std::string_view> keys);

// Splits "apps/v1" into ("apps", "v1") and "v1" into ("", "v1").
std::pair<std::string, std::string> SplitApiVersion(const std::string& api_version);

}  // namespace cairn::kube
