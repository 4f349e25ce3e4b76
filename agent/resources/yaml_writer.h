// YAML for people and kubectl: objects as YAML text (yaml-cpp's emitter),
// YAML text back to JSON (for --transform files and the round-trip test),
// and the --to-dir tree that `kubectl apply -R -f DIR` takes when no API
// server is reachable.
//
// Emitted YAML: keys sorted, every string scalar -- keys too -- double-quoted,
// so "yes", "on", "0755", "1.10" or "null" stay strings whichever YAML
// version the reader speaks (kubectl's is YAML 1.1); numbers, booleans and
// null are plain.
//
// Thread-safety: pure functions; WriteYamlTree writes only under its dir.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace cairn::kube {

std::string JsonToYaml(const nlohmann::json& value);

// One YAML document to JSON. Plain scalars resolve as YAML 1.2's core schema
// (null, true/false, integers, floats); quoted or !!str-tagged scalars are
// strings. InvalidArgument (naming `what` and the line) for a syntax error,
// a non-scalar key, more than kMaxYamlNodes nodes (alias bombs) or nesting
// deeper than kMaxYamlDepth.
inline constexpr std::size_t kMaxYamlNodes = 1'000'000;
inline constexpr int kMaxYamlDepth = 200;
Result<nlohmann::json> YamlToJson(std::string_view text, std::string_view what);

struct YamlTreeItem {
  int rank = 0;                  // RestoreRank: the directory's prefix
  std::string resource;          // "deployments.apps", "pods"
  std::string ns;                // "" for cluster-scoped
  std::string name;
  const nlohmann::json* object;  // written as is
};

// Writes DIR/<rank:02>-<resource>/[<ns>/]<name>.yaml per item and
// DIR/README.txt (how to apply: CRDs first, then the rest). DIR must be
// absent or empty (AlreadyExists otherwise: stale files would be applied
// too). A name or namespace that is not a safe path segment is refused.
// Returns the number of files written.
Result<std::size_t> WriteYamlTree(const std::filesystem::path& dir,
                                  const std::vector<YamlTreeItem>& items);

}  // namespace cairn::kube
