#include "agent/kube/discovery.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "agent/kube/api_path.h"

namespace cairn::kube {
namespace {

using nlohmann::json;

// An API server's discovery documents are bounded by the client's body
// limit; these bound what we keep of them.
constexpr std::size_t kMaxGroups = 4096;
constexpr std::size_t kMaxResourcesPerVersion = 4096;

std::string StringAt(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const json* ArrayAt(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? &*it : nullptr;
}

// The resources of one APIResourceList (/api/v1, /apis/g/v), subresources
// ("pods/log") left out. Corruption when the document is not one.
Result<std::vector<ApiResource>> ReadResourceList(const json& doc, const std::string& group,
                                                  const std::string& version, bool preferred,
                                                  const std::string& what) {
  const json* list = doc.is_object() ? ArrayAt(doc, "resources") : nullptr;
  if (list == nullptr) {
    return Status::Corruption(what + ": not an APIResourceList (no resources array)");
  }
  if (list->size() > kMaxResourcesPerVersion) {
    return Status::Corruption(what + ": more than " + std::to_string(kMaxResourcesPerVersion) +
                              " resources");
  }
  std::vector<ApiResource> out;
  for (const json& entry : *list) {
    if (!entry.is_object()) continue;
    ApiResource r;
    r.group = group;
    r.version = version;
    r.resource = StringAt(entry, "name");
    r.kind = StringAt(entry, "kind");
    if (r.resource.empty() || r.kind.empty()) {
      return Status::Corruption(what + ": a resource without name or kind");
    }
    if (r.resource.find('/') != std::string::npos) continue;  // a subresource
    auto ns = entry.find("namespaced");
    r.namespaced = ns != entry.end() && ns->is_boolean() && ns->get<bool>();
    r.preferred = preferred;
    if (const json* verbs = ArrayAt(entry, "verbs")) {
      for (const json& v : *verbs) {
        if (v.is_string()) r.verbs.push_back(v.get<std::string>());
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

std::string ApiResource::group_version() const {
  return group.empty() ? version : group + "/" + version;
}

bool ApiResource::HasVerb(std::string_view verb) const {
  return std::find(verbs.begin(), verbs.end(), verb) != verbs.end();
}

std::string ApiResource::qualified_name() const {
  return group.empty() ? resource : resource + "." + group;
}

std::string ApiResource::CollectionPath(const std::string& ns) const {
  std::string path = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  if (namespaced && !ns.empty()) path += "/namespaces/" + EscapePathSegment(ns);
  return path + "/" + resource;
}

std::string ApiResource::ObjectPath(const std::string& ns, const std::string& name) const {
  return CollectionPath(ns) + "/" + EscapePathSegment(name);
}

std::vector<const ApiResource*> DiscoveryResult::Preferred() const {
  // The group's preferred version serves most of its resources; a resource
  // only served in another version (added in v1beta2 while v1 is preferred)
  // is taken from the first version that serves it, in the server's order,
  // so a backup does not silently miss it.
  std::set<std::pair<std::string, std::string>> in_preferred;
  for (const ApiResource& r : resources) {
    if (r.preferred) in_preferred.emplace(r.group, r.resource);
  }
  std::set<std::pair<std::string, std::string>> taken;
  std::vector<const ApiResource*> out;
  for (const ApiResource& r : resources) {
    auto key = std::make_pair(r.group, r.resource);
    if (r.preferred || (!in_preferred.count(key) && !taken.count(key))) {
      if (taken.insert(key).second) out.push_back(&r);
    }
  }
  return out;
}

const ApiResource* DiscoveryResult::FindKind(const std::string& group_version,
                                             const std::string& kind) const {
  for (const ApiResource& r : resources) {
    if (r.kind == kind && r.group_version() == group_version) return &r;
  }
  return nullptr;
}

const ApiResource* DiscoveryResult::FindPreferredKind(const std::string& group,
                                                      const std::string& kind) const {
  for (const ApiResource* r : Preferred()) {
    if (r->group == group && r->kind == kind) return r;
  }
  return nullptr;
}

Result<DiscoveryResult> Discover(KubeClient& client) {
  DiscoveryResult out;

  // The core group: /api lists its versions (only "v1" in practice), the
  // first being preferred.
  CAIRN_ASSIGN_OR_RETURN(json api, client.Get("/api"));
  const json* core_versions = api.is_object() ? ArrayAt(api, "versions") : nullptr;
  if (core_versions == nullptr) {
    return Status::Corruption("GET /api: not an APIVersions document (no versions array)");
  }
  bool first = true;
  for (const json& v : *core_versions) {
    if (!v.is_string()) continue;
    const std::string version = v.get<std::string>();
    const std::string path = "/api/" + version;
    // The core group is required: without it there is no backup to speak of.
    CAIRN_ASSIGN_OR_RETURN(json doc, client.Get(path));
    CAIRN_ASSIGN_OR_RETURN(auto list, ReadResourceList(doc, "", version, first, "GET " + path));
    std::move(list.begin(), list.end(), std::back_inserter(out.resources));
    first = false;
  }

  CAIRN_ASSIGN_OR_RETURN(json apis, client.Get("/apis"));
  const json* groups = apis.is_object() ? ArrayAt(apis, "groups") : nullptr;
  if (groups == nullptr) {
    return Status::Corruption("GET /apis: not an APIGroupList (no groups array)");
  }
  if (groups->size() > kMaxGroups) {
    return Status::Corruption("GET /apis: more than " + std::to_string(kMaxGroups) + " groups");
  }
  for (const json& g : *groups) {
    if (!g.is_object()) continue;
    const std::string group = StringAt(g, "name");
    if (group.empty()) return Status::Corruption("GET /apis: a group without a name");
    std::string preferred;
    if (auto p = g.find("preferredVersion"); p != g.end() && p->is_object()) {
      preferred = StringAt(*p, "version");
    }
    const json* versions = ArrayAt(g, "versions");
    if (versions == nullptr) continue;
    for (const json& v : *versions) {
      if (!v.is_object()) continue;
      std::string version = StringAt(v, "version");
      if (version.empty()) continue;
      if (preferred.empty()) preferred = version;  // the server lists the preferred first
      const std::string path = "/apis/" + group + "/" + version;
      // An aggregated API whose backing service is down answers 503 here;
      // kubectl warns and carries on, and so do we.
      // An unreachable server (no answer after retries) is an error though:
      // every later group would fail the same way.
      KubeRequest request;
      request.path = path;
      CAIRN_ASSIGN_OR_RETURN(KubeResponse response, client.Call(request));
      if (response.status < 200 || response.status >= 300) {
        out.warnings.push_back("group version " + group + "/" + version + " skipped: " +
                               KubeStatusError(response, "GET " + path).message());
        continue;
      }
      json doc = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
      auto list = ReadResourceList(doc, group, version, version == preferred, "GET " + path);
      if (!list.ok()) {
        out.warnings.push_back("group version " + group + "/" + version + " skipped: " +
                               list.error().message());
        continue;
      }
      std::move(list->begin(), list->end(), std::back_inserter(out.resources));
    }
  }
  return out;
}

}  // namespace cairn::kube
