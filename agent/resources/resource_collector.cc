#include "agent/resources/resource_collector.h"

#include <algorithm>
#include <utility>

#include "agent/kube/list_pager.h"
#include "agent/resources/resource_cleaner.h"

namespace cairn::kube {
namespace {

// The layout's directory for a group, which is also the plan's sort key.
std::string GroupDir(const ApiResource& r) { return r.group.empty() ? "core" : r.group; }

std::string MetadataString(const nlohmann::json& object, const char* key) {
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return "";
  auto value = meta->find(key);
  return value != meta->end() && value->is_string() ? value->get<std::string>() : "";
}

}  // namespace

std::string SerializeObject(const nlohmann::json& object) {
  std::string out = object.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
  out.push_back('\n');
  return out;
}

ResourceCollector::ResourceCollector(KubeClient& client, const ResourceFilter& filter,
                                     CollectorOptions options)
    : client_(client), filter_(filter), options_(options) {}

void ResourceCollector::Skip(const ApiResource& r, std::string reason) {
  skipped_.push_back({r.group, r.version, r.resource, std::move(reason)});
}

Status ResourceCollector::Discover() {
  auto discovery = kube::Discover(client_);
  if (!discovery.ok()) return discovery.error().WithContext("discover the API server's resources");
  for (std::string& w : discovery->warnings) warnings_.push_back("discovery: " + std::move(w));
  std::vector<ApiResource> preferred;
  for (const ApiResource* r : discovery->Preferred()) preferred.push_back(*r);
  std::sort(preferred.begin(), preferred.end(), [](const ApiResource& a, const ApiResource& b) {
    return std::pair(GroupDir(a), a.resource) < std::pair(GroupDir(b), b.resource);
  });
  // A server listing a resource twice in one group would write its files twice.
  preferred.erase(std::unique(preferred.begin(), preferred.end(),
                              [](const ApiResource& a, const ApiResource& b) {
                                return a.group == b.group && a.resource == b.resource;
                              }),
                  preferred.end());
  for (ApiResource& r : preferred) {
    if (auto reason = filter_.SkipReason(r)) {
      Skip(r, std::move(*reason));
    } else {
      plan_.push_back(std::move(r));
    }
  }
  return Status::Ok();
}

Status ResourceCollector::ListInto(const ApiResource& r, const std::string& ns, CollectedType& out,
                                   bool* skipped) {
  *skipped = false;
  ListOptions list;
  list.ns = ns;
  list.label_selector = filter_.label_selector();
  list.page_size = options_.page_size;
  list.max_items = options_.max_items_per_type;
  auto listed = ListAll(client_, r, list);
  if (!listed.ok()) {
    const Status& s = listed.error();
    if (s.IsPermissionDenied() || s.IsNotFound()) {
      // ListAll's message already names the type and the namespace.
      std::string reason =
          std::string(s.IsPermissionDenied() ? "forbidden: " : "gone since discovery: ") +
          s.message();
      warnings_.push_back(r.qualified_name() + ": " + reason);
      Skip(r, std::move(reason));
      *skipped = true;
      return Status::Ok();
    }
    return s;  // ListAll's message names the type (and namespace): "list services: ..."
  }
  for (nlohmann::json& item : listed->items) {
    if (!filter_.IncludesObject(r, item)) continue;
    ObjectFile file{r.group, r.resource, r.namespaced ? MetadataString(item, "namespace") : "",
                    MetadataString(item, "name")};
    if (r.namespaced && file.ns.empty()) {
      warnings_.push_back(r.qualified_name() + " \"" + file.name +
                          "\": no metadata.namespace in a namespaced list, left out");
      continue;
    }
    auto path = ObjectFilePath(file);
    if (!path.ok()) {
      warnings_.push_back(r.qualified_name() + ": object left out: " + path.error().message());
      continue;
    }
    CleanResourceInPlace(item);
    std::string content = SerializeObject(item);
    item = nullptr;  // the text replaces the tree: one copy at a time
    out.objects.push_back({std::move(*path), std::move(content)});
  }
  return Status::Ok();
}

Result<std::optional<CollectedType>> ResourceCollector::Next() {
  while (next_ < plan_.size()) {
    const ApiResource& r = plan_[next_++];
    CollectedType type;
    type.info.group = r.group;
    type.info.version = r.version;
    type.info.resource = r.resource;
    type.info.kind = r.kind;
    type.info.namespaced = r.namespaced;
    bool any_listed = false;
    bool skipped = false;
    if (r.namespaced && !filter_.list_namespaces().empty()) {
      for (const std::string& ns : filter_.list_namespaces()) {
        CAIRN_RETURN_IF_ERROR(ListInto(r, ns, type, &skipped));
        any_listed = any_listed || !skipped;
      }
    } else {
      CAIRN_RETURN_IF_ERROR(ListInto(r, "", type, &skipped));
      any_listed = !skipped;
    }
    if (!any_listed) continue;
    std::sort(type.objects.begin(), type.objects.end(),
              [](const CollectedObject& a, const CollectedObject& b) { return a.path < b.path; });
    auto dup = std::adjacent_find(
        type.objects.begin(), type.objects.end(),
        [](const CollectedObject& a, const CollectedObject& b) { return a.path == b.path; });
    if (dup != type.objects.end()) {
      warnings_.push_back(r.qualified_name() + ": the server listed " + dup->path +
                          " more than once; kept one");
      type.objects.erase(std::unique(type.objects.begin(), type.objects.end(),
                                     [](const CollectedObject& a, const CollectedObject& b) {
                                       return a.path == b.path;
                                     }),
                         type.objects.end());
    }
    type.info.objects = type.objects.size();
    for (const CollectedObject& o : type.objects) type.info.bytes += o.content.size();
    return std::optional<CollectedType>(std::move(type));
  }
  return std::optional<CollectedType>();
}

}  // namespace cairn::kube
