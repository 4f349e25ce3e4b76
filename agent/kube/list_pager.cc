#include "agent/kube/list_pager.h"

#include <utility>

#include "agent/kube/api_path.h"

namespace cairn::kube {
namespace {

using nlohmann::json;

std::string PagePath(const ApiResource& resource, const ListOptions& options,
                     const std::string& continue_token) {
  std::string path = resource.CollectionPath(options.ns);
  path += "?limit=" + std::to_string(options.page_size);
  if (!continue_token.empty()) path += "&continue=" + EscapeQueryValue(continue_token);
  if (!options.label_selector.empty()) {
    path += "&labelSelector=" + EscapeQueryValue(options.label_selector);
  }
  if (!options.field_selector.empty()) {
    path += "&fieldSelector=" + EscapeQueryValue(options.field_selector);
  }
  return path;
}

std::string MetadataString(const json& list, const char* key) {
  auto meta = list.find("metadata");
  if (meta == list.end() || !meta->is_object()) return "";
  auto it = meta->find(key);
  return it != meta->end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

Result<ListResult> ListAll(KubeClient& client, const ApiResource& resource,
                           const ListOptions& options) {
  std::string what = "list " + resource.qualified_name();
  if (!options.ns.empty() && resource.namespaced) what += " in namespace " + options.ns;
  if (options.page_size < 1) return Status::InvalidArgument(what + ": page_size must be positive");

  // A server that keeps answering with a continue token (a bug, or pages
  // emptied by a filter) cannot keep us here forever.
  const std::size_t max_pages = options.max_items / static_cast<std::size_t>(options.page_size) + 1000;
  ListResult out;
  std::string continue_token;
  for (;;) {
    const std::string path = PagePath(resource, options, continue_token);
    KubeRequest request;
    request.path = path;
    CAIRN_ASSIGN_OR_RETURN(KubeResponse response, client.Call(request));

    if (response.status == 410) {
      // The continue token expired (etcd compacted past it). Items of the
      // pages read so far may have changed since: drop them and start over,
      // as client-go's pager does for a full list.
      if (out.restarts >= options.max_restarts) {
        return Status::Unavailable(
            what + ": the list expired (410 Gone) " + std::to_string(out.restarts + 1) +
            " times before it could be read to the end; the API server compacts faster than "
            "the list pages through " + std::to_string(out.items.size()) +
            " items; retry later or raise the page size");
      }
      ++out.restarts;
      out.items.clear();
      out.pages = 0;
      out.resource_version.clear();
      continue_token.clear();
      continue;
    }
    if (response.status < 200 || response.status >= 300) {
      return KubeStatusError(response, what);
    }

    json page = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    if (!page.is_object()) {
      return Status::Corruption("GET " + path + ": the answer is not a JSON list object");
    }
    auto items = page.find("items");
    if (items != page.end() && !items->is_null()) {
      if (!items->is_array()) return Status::Corruption("GET " + path + ": items is not an array");
      for (json& item : *items) {
        if (!item.is_object()) return Status::Corruption("GET " + path + ": an item is not an object");
        if (out.items.size() >= options.max_items) {
          return Status::IoError(what + ": more than " + std::to_string(options.max_items) +
                                 " items; raise max_items or narrow the list with a selector");
        }
        // Built-in list items come without apiVersion/kind on the wire.
        item["apiVersion"] = resource.group_version();
        item["kind"] = resource.kind;
        out.items.push_back(std::move(item));
      }
    }
    ++out.pages;
    out.resource_version = MetadataString(page, "resourceVersion");
    std::string next = MetadataString(page, "continue");
    if (next.empty()) return out;
    if (next == continue_token) {
      return Status::Corruption(what + ": the API server returned the same continue token twice");
    }
    if (static_cast<std::size_t>(out.pages) >= max_pages) {
      return Status::IoError(what + ": still not at the end after " + std::to_string(out.pages) +
                             " pages");
    }
    continue_token = std::move(next);
  }
}

}  // namespace cairn::kube
