// LabelSelector: the Kubernetes label selector language, parsed once and
// matched against an object's labels, for filters the agent applies itself
// (restore selection) and to check a user's --selector before a backup
// sends it to the server.
//
//   app=web, tier!=cache, env in (prod, staging), env notin (dev), release, !canary
//   ("==" is "="; requirements are ANDed; an empty selector matches everything)
//
// Thread-safety: immutable after Parse.
#pragma once

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "core/base/status.h"

namespace cairn::kube {

class LabelSelector {
 public:
  // InvalidArgument naming the offending requirement and what is expected.
  static Result<LabelSelector> Parse(const std::string& text);

  bool Matches(const std::map<std::string, std::string>& labels) const;
  // The object's metadata.labels (missing = none).
  bool Matches(const nlohmann::json& object) const;
  bool empty() const { return requirements_.empty(); }
  const std::string& text() const { return text_; }

 private:
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kNotExists };
  struct Requirement {
    std::string key;
    Op op;
    std::vector<std::string> values;
  };
  std::vector<Requirement> requirements_;
  std::string text_;
};

}  // namespace cairn::kube
