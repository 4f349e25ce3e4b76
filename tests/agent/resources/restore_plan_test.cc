#include "agent/resources/restore_plan.h"

#include <catch2/catch.hpp>

#include "tests/agent/resources/restore_fixture.h"

namespace cairn::kube {
namespace {

using nlohmann::json;
using test::Obj;

ApiResource Res(std::string group, std::string version, std::string resource, std::string kind,
                bool namespaced, bool preferred = true) {
  ApiResource r;
  r.group = std::move(group);
  r.version = std::move(version);
  r.resource = std::move(resource);
  r.kind = std::move(kind);
  r.namespaced = namespaced;
  r.preferred = preferred;
  r.verbs = {"create", "get", "list", "update"};
  return r;
}

DiscoveryResult Target() {
  DiscoveryResult d;
  d.resources = {Res("", "v1", "namespaces", "Namespace", false),
                 Res("", "v1", "configmaps", "ConfigMap", true),
                 Res("apps", "v1", "deployments", "Deployment", true),
                 Res("apiextensions.k8s.io", "v1", "customresourcedefinitions",
                     "CustomResourceDefinition", false),
                 Res("example.com", "v2", "widgets", "Widget", true, true),
                 Res("example.com", "v1", "widgets", "Widget", true, false)};
  return d;
}

const PlannedObject* Find(const RestorePlan& plan, const std::string& kind, const std::string& name) {
  for (const PlannedObject& o : plan.objects) {
    if (o.kind == kind && o.name == name) return &o;
  }
  return nullptr;
}

TEST_CASE("BuildRestorePlan: maps, orders and resolves each object's target API", "[unit]") {
  json widget = Obj("example.com/v1beta1", "Widget", "shop", "w1");
  ResourceSet set = test::MakeSet({Obj("apps/v1", "Deployment", "shop", "web"),
                                   Obj("v1", "Namespace", "", "shop"), widget,
                                   Obj("v1", "ConfigMap", "shop", "cfg")});
  PlanOptions options;
  options.transforms.namespace_mapping = {{"shop", "shop-copy"}};
  DiscoveryResult target = Target();
  Result<RestorePlan> plan = BuildRestorePlan(set, options, &target);
  REQUIRE(plan.ok());
  REQUIRE(plan->objects.size() == 4);
  CHECK(plan->objects[0].kind == "Namespace");
  CHECK(plan->objects[0].name == "shop-copy");
  CHECK(plan->objects[3].kind == "Widget");
  const PlannedObject* w = Find(*plan, "Widget", "w1");
  REQUIRE(w != nullptr);
  // v1beta1 is not served: the group's preferred version, with a warning.
  CHECK(w->error.empty());
  CHECK(w->api_version() == "example.com/v2");
  CHECK(w->object["apiVersion"] == "example.com/v2");
  CHECK(w->ObjectPath() == "/apis/example.com/v2/namespaces/shop-copy/widgets/w1");
  CHECK(plan->warnings.size() == 1);
  const PlannedObject* d = Find(*plan, "Deployment", "web");
  REQUIRE(d != nullptr);
  CHECK(d->CollectionPath() == "/apis/apps/v1/namespaces/shop-copy/deployments");
  CHECK(d->Describe() == "apps/v1 Deployment shop-copy/web");
}

TEST_CASE("BuildRestorePlan: a kind the target lacks fails unless a CRD of the restore defines it",
          "[unit]") {
  json gadget_crd = test::WidgetCrd();
  DiscoveryResult target = Target();
  target.resources.erase(target.resources.begin() + 4, target.resources.end());  // no widgets
  ResourceSet without_crd = test::MakeSet({Obj("example.com/v1", "Widget", "shop", "w1")});
  Result<RestorePlan> plan = BuildRestorePlan(without_crd, {}, &target);
  REQUIRE(plan.ok());
  CHECK(plan->objects[0].error ==
        "no resource for kind Widget in group \"example.com\" on the target: restore its CRD first");

  ResourceSet with_crd = test::MakeSet({Obj("example.com/v1", "Widget", "shop", "w1"), gadget_crd});
  plan = BuildRestorePlan(with_crd, {}, &target);
  REQUIRE(plan.ok());
  REQUIRE(plan->objects.size() == 2);
  CHECK(plan->objects[0].kind == "CustomResourceDefinition");
  CHECK(plan->objects[1].pending_crd);
  CHECK(plan->objects[1].error.empty());
}

TEST_CASE("BuildRestorePlan: a failing transform fails that object only", "[unit]") {
  ResourceSet set = test::MakeSet({Obj("v1", "ConfigMap", "shop", "a"), Obj("v1", "ConfigMap", "shop", "b")});
  PlanOptions options;
  auto rules = ParseTransformRules(
      "- match: {name: a}\n  patch: [{op: replace, path: /data/missing, value: 1}]\n", "t.yaml");
  REQUIRE(rules.ok());
  options.transforms.rules = *rules;
  Result<RestorePlan> plan = BuildRestorePlan(set, options, nullptr);
  REQUIRE(plan.ok());
  CHECK(Find(*plan, "ConfigMap", "a")->error.find("rule 1 of t.yaml") != std::string::npos);
  CHECK(Find(*plan, "ConfigMap", "b")->error.empty());
  // Without discovery the snapshot's resource and version stand.
  CHECK(Find(*plan, "ConfigMap", "b")->ObjectPath() == "/api/v1/namespaces/shop/configmaps/b");
}

}  // namespace
}  // namespace cairn::kube
