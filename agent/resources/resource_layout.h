// The layout of a Kubernetes resources snapshot (documented in
// docs/formats.md, "Kubernetes resources snapshot", version 1):
//
//   index.json                                               ResourceIndex
//   resources/<group>/<resource>/namespaces/<ns>/<name>.json  namespaced object
//   resources/<group>/<resource>/cluster/<name>.json          cluster-scoped object
//
// <group> is "core" for the core group ("" in the API). Each object file is
// the cleaned object (ResourceCleaner) as JSON with sorted keys and a final
// newline, so an unchanged object is byte-identical across backups and
// deduplicates. The snapshot is an ordinary tree: `cairnctl restore` writes
// it as files or a pax tar stream, and the restore planner reads it back.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace cairn::kube {

inline constexpr std::string_view kIndexFile = "index.json";
inline constexpr std::string_view kResourcesDir = "resources";
inline constexpr std::string_view kResourcesFormat = "cairn-kube-resources";
inline constexpr int kResourcesFormatVersion = 1;

struct ObjectFile {
  std::string group;     // "" for core
  std::string resource;  // plural
  std::string ns;        // "" for cluster-scoped
  std::string name;
};

// The file path of an object. InvalidArgument for a segment that could not
// be a Kubernetes name (empty, ".", "..", '/', NUL, over 253 bytes).
Result<std::string> ObjectFilePath(const ObjectFile& object);
// The inverse; InvalidArgument for anything that is not an object file path
// (index.json and directories are not).
Result<ObjectFile> ParseObjectFilePath(std::string_view path);

// One listed resource type.
struct IndexedResource {
  std::string group, version, resource, kind;
  bool namespaced = false;
  std::uint64_t objects = 0;
  std::uint64_t bytes = 0;  // of its object files
};

// A resource type not backed up, and why ("excluded by default: transient",
// "excluded by --exclude-resources", "forbidden: <server message>",
// "not listable", "list failed: ...").
struct SkippedResource {
  std::string group, version, resource;
  std::string reason;
};

struct ResourceIndex {
  std::string cluster;        // Cairn cluster name of the agent
  std::string server;         // API server URL it was taken from
  std::string taken_at;       // RFC 3339 UTC
  nlohmann::json filters;     // the include/exclude/selector options used
  std::vector<IndexedResource> resources;
  std::vector<SkippedResource> skipped;
  std::vector<std::string> warnings;
  std::uint64_t objects = 0;  // total object files

  nlohmann::json ToJson() const;  // with "format" and "version"
  // InvalidArgument for a different format or a newer version, naming it.
  static Result<ResourceIndex> FromJson(const nlohmann::json& json);
};

}  // namespace cairn::kube
