// The filter's decisions as a table: the default exclusions (each with its
// reason), an explicit --include-resources naming one of them winning,
// exclusion winning over inclusion, patterns with and without a group,
// namespaces, and cluster-scoped types under auto/yes/no.
#include <catch2/catch.hpp>

#include "agent/resources/resource_filter.h"

namespace cairn::kube {
namespace {

const std::vector<std::string> kListable = {"get", "list", "watch", "create"};

ApiResource Type(std::string group, std::string resource, std::string kind, bool namespaced,
                 std::vector<std::string> verbs = kListable) {
  return ApiResource{std::move(group), "v1", std::move(resource), std::move(kind),
                     namespaced, true, std::move(verbs)};
}

const ApiResource kPods = Type("", "pods", "Pod", true);
const ApiResource kNamespaces = Type("", "namespaces", "Namespace", false);
const ApiResource kDeployments = Type("apps", "deployments", "Deployment", true);
const ApiResource kWidgets = Type("example.com", "widgets", "Widget", true);
const ApiResource kClusterRoles = Type("rbac.authorization.k8s.io", "clusterroles", "ClusterRole", false);
const ApiResource kEvents = Type("", "events", "Event", true);
const ApiResource kNewEvents = Type("events.k8s.io", "events", "Event", true);
const ApiResource kLeases = Type("coordination.k8s.io", "leases", "Lease", true);
const ApiResource kEndpoints = Type("", "endpoints", "Endpoints", true);
const ApiResource kSlices = Type("discovery.k8s.io", "endpointslices", "EndpointSlice", true);
const ApiResource kNodes = Type("", "nodes", "Node", false);
const ApiResource kComponents = Type("", "componentstatuses", "ComponentStatus", false);
const ApiResource kPodMetrics = Type("metrics.k8s.io", "pods", "PodMetrics", true);
const ApiResource kBindings = Type("", "bindings", "Binding", true, {"create"});

ResourceFilter Make(ResourceFilterOptions o) {
  auto f = ResourceFilter::Create(o);
  INFO(f.status().ToString());
  REQUIRE(f.ok());
  return std::move(*f);
}

// "" when taken, else the reason.
std::string Decide(const ResourceFilter& f, const ApiResource& r) {
  return f.SkipReason(r).value_or("");
}

TEST_CASE("ResourceFilter: by default transient and derived types are left out, each with why",
          "[unit]") {
  ResourceFilter f = Make({});
  for (const ApiResource* r : {&kPods, &kNamespaces, &kDeployments, &kWidgets, &kClusterRoles}) {
    INFO(r->qualified_name());
    CHECK(Decide(f, *r).empty());
  }
  const std::vector<std::pair<const ApiResource*, std::string>> excluded = {
      {&kEvents, "transient"},  {&kNewEvents, "transient"}, {&kLeases, "transient"},
      {&kEndpoints, "derived"}, {&kSlices, "derived"},      {&kNodes, "nodes register"},
      {&kComponents, "transient"}, {&kPodMetrics, "metrics"},
  };
  for (const auto& [r, why] : excluded) {
    INFO(r->qualified_name());
    std::string reason = Decide(f, *r);
    CHECK_THAT(reason, Catch::StartsWith("excluded by default") && Catch::Contains(why));
    CHECK(DefaultExclusion(*r).has_value());
  }
  CHECK(Decide(f, kBindings) == "not listable (the server offers no list verb)");
  CHECK_FALSE(DefaultExclusion(kPods).has_value());
}

TEST_CASE("ResourceFilter: naming a default-excluded type includes it, '*' does not", "[unit]") {
  ResourceFilter named = Make({.include_resources = {"events", "leases.coordination.k8s.io", "pods"}});
  CHECK(Decide(named, kEvents).empty());
  CHECK(Decide(named, kNewEvents).empty());  // "events" names both groups' events
  CHECK(Decide(named, kLeases).empty());
  CHECK(Decide(named, kPods).empty());
  CHECK(Decide(named, kDeployments) == "not in --include-resources");
  CHECK(Decide(named, kNodes) == "not in --include-resources");

  ResourceFilter star = Make({.include_resources = {"*"}});
  CHECK(Decide(star, kDeployments).empty());
  CHECK_THAT(Decide(star, kEvents), Catch::StartsWith("excluded by default"));

  ResourceFilter metrics = Make({.include_resources = {"pods.metrics.k8s.io"}});
  CHECK(Decide(metrics, kPodMetrics).empty());
  CHECK(Decide(metrics, kPods) == "not in --include-resources");
  // Even named, a type without list cannot be listed.
  CHECK_THAT(Decide(Make({.include_resources = {"bindings"}}), kBindings),
             Catch::StartsWith("not listable"));
}

TEST_CASE("ResourceFilter: type patterns match by resource, group, kind and '*'; exclude wins",
          "[unit]") {
  struct Case {
    std::string pattern;
    const ApiResource* type;
    bool matches;
  };
  const std::vector<Case> cases = {
      {"deployments", &kDeployments, true},
      {"deployments.apps", &kDeployments, true},
      {"Deployments.Apps", &kDeployments, true},
      {"deployment", &kDeployments, true},  // the kind, singular
      {"deployments.extensions", &kDeployments, false},
      {"widgets.example.com", &kWidgets, true},
      {"widgets", &kWidgets, true},
      {"widgets.example.org", &kWidgets, false},
      {"pods", &kPodMetrics, true},
      {"pods.core", &kPods, true},
      {"pods.core", &kPodMetrics, false},
      {"*", &kClusterRoles, true},
      {"*.apps", &kDeployments, true},
      {"*.apps", &kPods, false},
  };
  for (const Case& c : cases) {
    INFO(c.pattern << " vs " << c.type->qualified_name());
    ResourceFilter f = Make({.exclude_resources = {c.pattern}});
    CHECK((Decide(f, *c.type) == "excluded by --exclude-resources") == c.matches);
  }
  ResourceFilter both = Make({.include_resources = {"deployments", "pods"},
                              .exclude_resources = {"deployments.apps"}});
  CHECK(Decide(both, kDeployments) == "excluded by --exclude-resources");
  CHECK(Decide(both, kPods).empty());
}

TEST_CASE("ResourceFilter: cluster-scoped types follow --cluster-resources and the namespace filter",
          "[unit]") {
  // auto, no namespace filter: taken.
  CHECK(Decide(Make({}), kClusterRoles).empty());
  // auto, only exclusions: still the whole cluster, less some namespaces.
  CHECK(Decide(Make({.exclude_namespaces = {"kube-system"}}), kClusterRoles).empty());
  // auto with --include-namespaces: left out, except the namespaces themselves.
  ResourceFilter some = Make({.include_namespaces = {"prod"}});
  CHECK_THAT(Decide(some, kClusterRoles), Catch::StartsWith("cluster-scoped"));
  CHECK(Decide(some, kNamespaces).empty());
  CHECK(Decide(some, kPods).empty());
  // yes: taken even with a namespace filter.
  CHECK(Decide(Make({.include_namespaces = {"prod"}, .cluster_resources = "yes"}), kClusterRoles)
            .empty());
  // no: never, namespaces included.
  ResourceFilter none = Make({.cluster_resources = "no"});
  CHECK_THAT(Decide(none, kClusterRoles), Catch::StartsWith("cluster-scoped"));
  CHECK_THAT(Decide(none, kNamespaces), Catch::StartsWith("cluster-scoped"));
  CHECK(Decide(none, kPods).empty());
}

TEST_CASE("ResourceFilter: objects are kept by namespace, a Namespace by its own name", "[unit]") {
  using nlohmann::json;
  auto pod = [](const std::string& ns) {
    return json{{"metadata", {{"name", "p"}, {"namespace", ns}}}};
  };
  auto ns_object = [](const std::string& name) { return json{{"metadata", {{"name", name}}}}; };
  ResourceFilter f = Make({.include_namespaces = {"prod", " dev "}, .exclude_namespaces = {"dev"}});
  CHECK(f.list_namespaces() == std::vector<std::string>{"dev", "prod"});
  CHECK(f.IncludesObject(kPods, pod("prod")));
  CHECK_FALSE(f.IncludesObject(kPods, pod("dev")));  // excluded wins
  CHECK_FALSE(f.IncludesObject(kPods, pod("other")));
  CHECK_FALSE(f.IncludesObject(kPods, json{{"metadata", {{"name", "p"}}}}));
  CHECK(f.IncludesObject(kNamespaces, ns_object("prod")));
  CHECK_FALSE(f.IncludesObject(kNamespaces, ns_object("other")));
  CHECK(f.IncludesObject(kClusterRoles, ns_object("admin")));

  ResourceFilter all_but = Make({.exclude_namespaces = {"kube-system"}});
  CHECK(all_but.list_namespaces().empty());
  CHECK(all_but.IncludesObject(kPods, pod("anything")));
  CHECK_FALSE(all_but.IncludesObject(kPods, pod("kube-system")));
  CHECK_FALSE(all_but.IncludesObject(kNamespaces, ns_object("kube-system")));
}

TEST_CASE("ResourceFilter: malformed options are refused naming the option", "[unit]") {
  const std::vector<std::pair<ResourceFilterOptions, std::string>> bad = {
      {{.cluster_resources = "maybe"}, "--cluster-resources"},
      {{.selector = "app in (web"}, "--selector"},
      {{.include_namespaces = {"Prod"}}, "--include-namespaces"},
      {{.exclude_namespaces = {""}}, "--exclude-namespaces"},
      {{.include_resources = {""}}, "--include-resources"},
      {{.include_resources = {"pods."}}, "--include-resources"},
      {{.exclude_resources = {"de/ployments"}}, "--exclude-resources"},
      {{.exclude_resources = {".apps"}}, "--exclude-resources"},
  };
  for (const auto& [options, says] : bad) {
    auto f = ResourceFilter::Create(options);
    INFO(says);
    REQUIRE_FALSE(f.ok());
    CHECK(f.error().IsInvalidArgument());
    CHECK_THAT(f.error().message(), Catch::Contains(says));
  }
  auto good = ResourceFilter::Create({.selector = "app=web,tier!=cache"});
  REQUIRE(good.ok());
  CHECK(good->label_selector() == "app=web,tier!=cache");
  CHECK(good->ToJson()["selector"] == "app=web,tier!=cache");
}

}  // namespace
}  // namespace cairn::kube
