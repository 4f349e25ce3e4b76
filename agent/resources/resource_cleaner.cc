#include "agent/resources/resource_cleaner.h"

#include <array>
#include <string_view>

namespace cairn::kube {
namespace {

constexpr std::array<std::string_view, 8> kRuntimeMetadata = {
    "uid",           "resourceVersion",   "generation",        "managedFields",
    "creationTimestamp", "selfLink",      "deletionTimestamp", "deletionGracePeriodSeconds",
};

bool IsString(const nlohmann::json& j, std::string_view value) {
  return j.is_string() && j.get_ref<const std::string&>() == value;
}

// A headless Service keeps "None": it is a choice, not an allocation.
void CleanServiceSpec(nlohmann::json& spec) {
  if (!spec.is_object()) return;
  if (auto ip = spec.find("clusterIP"); ip != spec.end() && !IsString(*ip, "None")) {
    spec.erase(ip);
  }
  if (auto ips = spec.find("clusterIPs"); ips != spec.end()) {
    bool headless = ips->is_array() && !ips->empty();
    if (headless) {
      for (const nlohmann::json& ip : *ips) headless = headless && IsString(ip, "None");
    }
    if (!headless) spec.erase(ips);
  }
}

}  // namespace

void CleanResourceInPlace(nlohmann::json& object) {
  if (!object.is_object()) return;
  object.erase("status");
  if (auto meta = object.find("metadata"); meta != object.end() && meta->is_object()) {
    for (std::string_view key : kRuntimeMetadata) meta->erase(std::string(key));
    if (auto owners = meta->find("ownerReferences");
        owners != meta->end() && owners->is_array()) {
      for (nlohmann::json& owner : *owners) {
        if (owner.is_object()) owner.erase("uid");
      }
    }
  }
  auto kind = object.find("kind");
  auto api_version = object.find("apiVersion");
  if (kind != object.end() && IsString(*kind, "Service") && api_version != object.end() &&
      IsString(*api_version, "v1")) {
    if (auto spec = object.find("spec"); spec != object.end()) CleanServiceSpec(*spec);
  }
}

}  // namespace cairn::kube
