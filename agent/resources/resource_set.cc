#include "agent/resources/resource_set.h"

#include <map>
#include <utility>

namespace cairn::kube {
namespace {

using nlohmann::json;

Status Disagree(const std::string& path, const std::string& what) {
  return Status::Corruption(path + ": " + what +
                            "; the file's path and its object disagree, the snapshot is damaged "
                            "(take a new backup, or restore another snapshot)");
}

}  // namespace

const json* JsonAt(const json& j, std::initializer_list<std::string_view> keys) {
  const json* at = &j;
  for (std::string_view key : keys) {
    if (!at->is_object()) return nullptr;
    auto it = at->find(key);
    if (it == at->end()) return nullptr;
    at = &*it;
  }
  return at;
}

std::string StringAt(const json& j, std::initializer_list<std::string_view> keys) {
  const json* at = JsonAt(j, keys);
  return at != nullptr && at->is_string() ? at->get<std::string>() : std::string();
}

std::pair<std::string, std::string> SplitApiVersion(const std::string& api_version) {
  auto slash = api_version.find('/');
  if (slash == std::string::npos) return {"", api_version};
  return {api_version.substr(0, slash), api_version.substr(slash + 1)};
}

std::string ResourceObject::Describe() const {
  return kind + " " + (file.ns.empty() ? file.name : file.ns + "/" + file.name);
}

Result<ResourceSet> BuildResourceSet(const SnapshotFiles& files) {
  ResourceSet set;
  auto index_it = files.files.find(std::string(kIndexFile));
  if (index_it == files.files.end()) {
    return Status::InvalidArgument(
        "no index.json in the snapshot: it is not a Kubernetes resources snapshot (pick one "
        "made by `cairn-agent backup-resources`, or the folder such a snapshot was restored to)");
  }
  json index_json = json::parse(index_it->second, nullptr, /*allow_exceptions=*/false);
  if (index_json.is_discarded()) return Status::Corruption("index.json: not valid JSON");
  CAIRN_ASSIGN_OR_RETURN(set.index, ResourceIndex::FromJson(index_json));

  std::map<std::pair<std::string, std::string>, const IndexedResource*> kinds;
  for (const IndexedResource& r : set.index.resources) kinds[{r.group, r.resource}] = &r;

  for (const std::string& refused : files.refused) set.warnings.push_back("refused " + refused);
  const std::string prefix = std::string(kResourcesDir) + "/";
  for (const auto& [path, content] : files.files) {
    if (path == kIndexFile) continue;
    if (path.compare(0, prefix.size(), prefix) != 0) {
      set.warnings.push_back(path + ": not part of the resources layout, ignored");
      continue;
    }
    Result<ObjectFile> file = ParseObjectFilePath(path);
    if (!file.ok()) return Disagree(path, "not an object file path (" + file.error().message() + ")");
    ResourceObject obj;
    obj.path = path;
    obj.file = *file;
    obj.object = json::parse(content, nullptr, /*allow_exceptions=*/false);
    if (obj.object.is_discarded() || !obj.object.is_object()) {
      return Status::Corruption(path + ": not a JSON object; the snapshot is damaged");
    }
    auto [group, version] = SplitApiVersion(StringAt(obj.object, {"apiVersion"}));
    obj.version = version;
    obj.kind = StringAt(obj.object, {"kind"});
    if (version.empty() || obj.kind.empty()) return Disagree(path, "no apiVersion or kind");
    if (group != obj.file.group) {
      return Disagree(path, "apiVersion " + StringAt(obj.object, {"apiVersion"}) +
                                " is not of group \"" + obj.file.group + "\"");
    }
    auto indexed = kinds.find({obj.file.group, obj.file.resource});
    if (indexed == kinds.end()) {
      return Disagree(path, "resource " + obj.file.resource + " is not in index.json");
    }
    if (indexed->second->kind != obj.kind) {
      return Disagree(path, "kind " + obj.kind + " is not the index's " + indexed->second->kind +
                                " for " + obj.file.resource);
    }
    if (indexed->second->namespaced != obj.namespaced()) {
      return Disagree(path, std::string(obj.namespaced() ? "namespaced path" : "cluster path") +
                                " for a " +
                                (indexed->second->namespaced ? "namespaced" : "cluster-scoped") +
                                " resource");
    }
    const json* meta = JsonAt(obj.object, {"metadata"});
    if (meta == nullptr || !meta->is_object()) return Disagree(path, "no metadata");
    std::string name = StringAt(*meta, {"name"});
    std::string ns = StringAt(*meta, {"namespace"});
    if (name != obj.file.name) return Disagree(path, "metadata.name is \"" + name + "\"");
    if (ns != obj.file.ns) return Disagree(path, "metadata.namespace is \"" + ns + "\"");
    set.objects.push_back(std::move(obj));
  }
  return set;
}

}  // namespace cairn::kube
