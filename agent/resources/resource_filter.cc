#include "agent/resources/resource_filter.h"

#include <algorithm>
#include <cctype>

#include "agent/kube/label_selector.h"

namespace cairn::kube {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string Trim(const std::string& s) {
  std::size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  std::size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

bool OnlyChars(const std::string& s, std::string_view extra) {
  return std::all_of(s.begin(), s.end(), [&](unsigned char c) {
    return std::islower(c) || std::isdigit(c) || extra.find(static_cast<char>(c)) != std::string_view::npos;
  });
}

// A namespace name is a DNS label.
Status CheckNamespace(const std::string& ns, const char* option) {
  if (ns.empty() || ns.size() > 63 || !OnlyChars(ns, "-") || ns.front() == '-' ||
      ns.back() == '-') {
    return Status::InvalidArgument(std::string(option) + ": \"" + ns +
                                   "\" is not a namespace name (lowercase letters, digits and "
                                   "'-', at most 63)");
  }
  return Status::Ok();
}

}  // namespace

std::optional<std::string> DefaultExclusion(const ApiResource& r) {
  const std::string q = r.qualified_name();
  if (q == "events" || q == "events.events.k8s.io") {
    return "transient: events expire within an hour and are recreated by what they describe";
  }
  if (q == "leases.coordination.k8s.io") {
    return "transient: leader-election and node heartbeat leases are renewed every few seconds";
  }
  if (q == "endpoints" || q == "endpointslices.discovery.k8s.io") {
    return "derived: the control plane rebuilds them from Services and Pods";
  }
  if (q == "nodes") return "derived: nodes register themselves with the cluster they join";
  if (q == "componentstatuses") return "transient: live health of control-plane components";
  if (r.group == "metrics.k8s.io") return "derived: live usage metrics, not stored objects";
  return std::nullopt;
}

Result<ResourceFilter> ResourceFilter::Create(const ResourceFilterOptions& options) {
  ResourceFilter f;
  f.options_ = options;
  if (options.cluster_resources != "auto" && options.cluster_resources != "yes" &&
      options.cluster_resources != "no") {
    return Status::InvalidArgument("--cluster-resources: \"" + options.cluster_resources +
                                   "\" is not one of auto, yes, no");
  }
  if (!options.selector.empty()) {
    auto parsed = LabelSelector::Parse(options.selector);
    if (!parsed.ok()) return parsed.error().WithContext("--selector");
  }
  for (auto [list, set, option] :
       {std::tuple{&f.options_.include_namespaces, &f.include_ns_, "--include-namespaces"},
        std::tuple{&f.options_.exclude_namespaces, &f.exclude_ns_, "--exclude-namespaces"}}) {
    for (std::string& ns : *list) {
      ns = Trim(ns);
      CAIRN_RETURN_IF_ERROR(CheckNamespace(ns, option));
      set->insert(ns);
    }
    // Listed in order, once each (the list drives one request per namespace).
    list->assign(set->begin(), set->end());
  }
  for (auto [list, out, option] :
       {std::tuple{&options.include_resources, &f.include_, "--include-resources"},
        std::tuple{&options.exclude_resources, &f.exclude_, "--exclude-resources"}}) {
    for (const std::string& raw : *list) {
      std::string text = Lower(Trim(raw));
      Pattern p;
      std::size_t dot = text.find('.');
      p.resource = text.substr(0, dot);
      bool ok = !p.resource.empty() && (p.resource == "*" || OnlyChars(p.resource, "-"));
      if (dot != std::string::npos) {
        std::string group = text.substr(dot + 1);
        ok = ok && !group.empty() && OnlyChars(group, ".-");
        p.group = group == "core" ? "" : group;
      }
      if (!ok) {
        return Status::InvalidArgument(std::string(option) + ": \"" + raw +
                                       "\" is not a resource type (expected e.g. deployments, "
                                       "deployments.apps, widgets.example.com or *)");
      }
      out->push_back(std::move(p));
    }
  }
  return f;
}

bool ResourceFilter::Matches(const Pattern& p, const ApiResource& r) {
  if (p.group && *p.group != r.group) return false;
  return p.resource == "*" || p.resource == r.resource || p.resource == Lower(r.kind);
}

bool ResourceFilter::AnyMatches(const std::vector<Pattern>& ps, const ApiResource& r,
                                bool named_only) {
  return std::any_of(ps.begin(), ps.end(), [&](const Pattern& p) {
    return (!named_only || p.resource != "*") && Matches(p, r);
  });
}

std::optional<std::string> ResourceFilter::SkipReason(const ApiResource& r) const {
  if (!r.HasVerb("list")) return "not listable (the server offers no list verb)";
  if (AnyMatches(exclude_, r, false)) return "excluded by --exclude-resources";
  if (!include_.empty() && !AnyMatches(include_, r, false)) return "not in --include-resources";
  if (auto why = DefaultExclusion(r); why && !AnyMatches(include_, r, true)) {
    return "excluded by default (" + *why + "); name it in --include-resources to back it up";
  }
  if (!r.namespaced) {
    if (options_.cluster_resources == "no") return "cluster-scoped: --cluster-resources no";
    if (options_.cluster_resources == "auto" && !include_ns_.empty() &&
        !(r.group.empty() && r.resource == "namespaces")) {
      return "cluster-scoped: left out because --include-namespaces is given "
             "(--cluster-resources yes takes them)";
    }
  }
  return std::nullopt;
}

bool ResourceFilter::IncludesNamespace(const std::string& ns) const {
  if (!include_ns_.empty() && !include_ns_.contains(ns)) return false;
  return !exclude_ns_.contains(ns);
}

bool ResourceFilter::IncludesObject(const ApiResource& r, const nlohmann::json& object) const {
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return false;
  const char* key = nullptr;
  if (r.namespaced) {
    key = "namespace";
  } else if (r.group.empty() && r.resource == "namespaces") {
    key = "name";
  } else {
    return true;
  }
  auto value = meta->find(key);
  return value != meta->end() && value->is_string() &&
         IncludesNamespace(value->get<std::string>());
}

nlohmann::json ResourceFilter::ToJson() const {
  return {{"include_namespaces", options_.include_namespaces},
          {"exclude_namespaces", options_.exclude_namespaces},
          {"include_resources", options_.include_resources},
          {"exclude_resources", options_.exclude_resources},
          {"selector", options_.selector},
          {"cluster_resources", options_.cluster_resources}};
}

}  // namespace cairn::kube
