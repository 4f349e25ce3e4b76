// ResourceCollector: reads the objects of a cluster for a resources backup,
// one resource type at a time, so memory holds one type's objects, never the
// whole cluster.
//
//   Discover()  discovery (preferred versions only) and the plan: the types
//               the filter takes, in layout order (group directory, then
//               resource), and the types skipped with their reasons.
//   Next()      lists the next planned type (ListAll, pages of page_size,
//               labelSelector from the filter; one list per namespace when
//               the filter names namespaces, else one across all of them,
//               filtered here), cleans each object (ResourceCleaner) and
//               serialises it (SerializeObject), sorted by file path.
//
// A list refused with 403 is not a failure: the type (or the type in that
// namespace) is recorded as skipped, "forbidden: <server message>", with a
// warning. A 404 (the type went away since discovery, e.g. a CRD deleted)
// is skipped the same way. Any other list error fails Next() with the type
// named: the backup then commits nothing.
//
// Thread-safety: one thread (it drives one KubeClient).
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agent/kube/discovery.h"
#include "agent/kube/kube_client.h"
#include "agent/resources/resource_filter.h"
#include "agent/resources/resource_layout.h"

namespace cairn::kube {

// The object file's bytes: JSON with sorted keys (nlohmann's object order),
// 2-space indent and a final newline; invalid UTF-8 replaced, never thrown.
std::string SerializeObject(const nlohmann::json& object);

struct CollectedObject {
  std::string path;     // ObjectFilePath
  std::string content;  // SerializeObject of the cleaned object
};

struct CollectedType {
  IndexedResource info;                  // objects and bytes filled in
  std::vector<CollectedObject> objects;  // sorted by path, unique
};

struct CollectorOptions {
  int page_size = 500;
  std::size_t max_items_per_type = 1'000'000;
};

class ResourceCollector {
 public:
  // `client` and `filter` must outlive the collector.
  ResourceCollector(KubeClient& client, const ResourceFilter& filter, CollectorOptions options = {});

  // Once, before Next(). Fails when discovery itself fails (the core API
  // cannot be read); a group version that does not answer is a warning.
  Status Discover();
  // The next type's objects; nullopt after the last. Types whose every list
  // was forbidden are skipped over (they are in skipped()).
  Result<std::optional<CollectedType>> Next();

  const std::vector<ApiResource>& planned() const { return plan_; }
  const std::vector<SkippedResource>& skipped() const { return skipped_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  // One ListAll; a 403/404 is recorded (returns true in *skipped).
  Status ListInto(const ApiResource& r, const std::string& ns, CollectedType& out, bool* skipped);
  void Skip(const ApiResource& r, std::string reason);

  KubeClient& client_;
  const ResourceFilter& filter_;
  CollectorOptions options_;
  std::vector<ApiResource> plan_;
  std::size_t next_ = 0;
  std::vector<SkippedResource> skipped_;
  std::vector<std::string> warnings_;
};

}  // namespace cairn::kube
