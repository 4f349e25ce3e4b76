#include "agent/resources/object_transform.h"

#include <catch2/catch.hpp>

#include "tests/agent/resources/restore_fixture.h"

namespace cairn::kube {
namespace {

using nlohmann::json;
using test::Obj;

TransformOptions Mappings() {
  TransformOptions t;
  t.namespace_mapping = {{"shop", "shop-copy"}};
  t.storage_class_mapping = {{"fast", "ssd"}};
  return t;
}

json Transformed(json object, const TransformOptions& t, std::vector<std::string>* notes = nullptr) {
  std::vector<std::string> n;
  Status s = TransformObject(object, t, n);
  REQUIRE(s.ok());
  if (notes != nullptr) *notes = n;
  return object;
}

TEST_CASE("TransformObject: namespace mapping moves objects, renames the Namespace, maps "
          "binding subjects and PV claim refs", "[unit]") {
  TransformOptions t = Mappings();
  std::vector<std::string> notes;
  json cm = Transformed(Obj("v1", "ConfigMap", "shop", "c"), t, &notes);
  CHECK(cm["metadata"]["namespace"] == "shop-copy");
  CHECK(notes == std::vector<std::string>{"namespace shop -> shop-copy"});
  CHECK(Transformed(Obj("v1", "Namespace", "", "shop"), t)["metadata"]["name"] == "shop-copy");
  CHECK(Transformed(Obj("v1", "Namespace", "", "auth"), t)["metadata"]["name"] == "auth");
  CHECK(Transformed(Obj("v1", "ConfigMap", "auth", "c"), t)["metadata"]["namespace"] == "auth");

  json rb = Obj("rbac.authorization.k8s.io/v1", "RoleBinding", "shop", "rb");
  rb["subjects"] = json::array({{{"kind", "ServiceAccount"}, {"name", "sa"}, {"namespace", "shop"}},
                                {{"kind", "ServiceAccount"}, {"name", "x"}, {"namespace", "auth"}},
                                {{"kind", "User"}, {"name", "alice"}}});
  json out = Transformed(rb, t);
  CHECK(out["metadata"]["namespace"] == "shop-copy");
  CHECK(out["subjects"][0]["namespace"] == "shop-copy");
  CHECK(out["subjects"][1]["namespace"] == "auth");
  CHECK_FALSE(out["subjects"][2].contains("namespace"));
  json crb = Obj("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "", "crb");
  crb["subjects"] = json::array({{{"kind", "ServiceAccount"}, {"name", "sa"}, {"namespace", "shop"}}});
  CHECK(Transformed(crb, t)["subjects"][0]["namespace"] == "shop-copy");

  json pv = Obj("v1", "PersistentVolume", "", "pv1");
  pv["spec"] = {{"claimRef", {{"namespace", "shop"}, {"name", "data"}}}, {"storageClassName", "fast"}};
  json pv_out = Transformed(pv, t);
  CHECK(pv_out["spec"]["claimRef"]["namespace"] == "shop-copy");
  CHECK(pv_out["spec"]["storageClassName"] == "ssd");
  CHECK_FALSE(pv_out["metadata"].contains("namespace"));
}

TEST_CASE("TransformObject: storage-class mapping covers PVCs, annotations and claim templates "
          "but not StorageClasses", "[unit]") {
  TransformOptions t = Mappings();
  json pvc = Obj("v1", "PersistentVolumeClaim", "shop", "data");
  pvc["spec"] = {{"storageClassName", "fast"}};
  pvc["metadata"]["annotations"] = {{"volume.beta.kubernetes.io/storage-class", "fast"},
                                    {"other", "fast"}};
  json out = Transformed(pvc, t);
  CHECK(out["spec"]["storageClassName"] == "ssd");
  CHECK(out["metadata"]["annotations"]["volume.beta.kubernetes.io/storage-class"] == "ssd");
  CHECK(out["metadata"]["annotations"]["other"] == "fast");
  json slow = pvc;
  slow["spec"]["storageClassName"] = "slow";
  CHECK(Transformed(slow, t)["spec"]["storageClassName"] == "slow");

  json sts = Obj("apps/v1", "StatefulSet", "shop", "db");
  sts["spec"] = {{"volumeClaimTemplates", json::array({{{"spec", {{"storageClassName", "fast"}}}}})}};
  CHECK(Transformed(sts, t)["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"] == "ssd");
  CHECK(Transformed(Obj("storage.k8s.io/v1", "StorageClass", "", "fast"), t)["metadata"]["name"] ==
        "fast");
}

TEST_CASE("TransformObject: JSON-patch rules match by group, kind, namespace, name and selector, "
          "after the mappings", "[unit]") {
  TransformOptions t = Mappings();
  Result<std::vector<TransformRule>> rules = ParseTransformRules(R"(
- match: {group: apps, kind: Deployment, namespace: shop-copy, selector: "tier=be"}
  patch:
    - {op: replace, path: /spec/replicas, value: 1}
    - {op: add, path: /metadata/labels/restored, value: "yes"}
- patch:
    - {op: add, path: /metadata/annotations, value: {"cairn/restored": "true"}}
)", "t.yaml");
  REQUIRE(rules.ok());
  t.rules = *rules;
  json d = Obj("apps/v1", "Deployment", "shop", "api", {{"tier", "be"}});
  d["spec"] = {{"replicas", 3}};
  std::vector<std::string> notes;
  json out = Transformed(d, t, &notes);
  CHECK(out["spec"]["replicas"] == 1);
  CHECK(out["metadata"]["labels"]["restored"] == "yes");
  CHECK(out["metadata"]["annotations"]["cairn/restored"] == "true");
  CHECK(notes.back() == "rule 2 of t.yaml");
  json other = Obj("apps/v1", "Deployment", "shop", "web", {{"tier", "fe"}});
  other["spec"] = {{"replicas", 3}};
  CHECK(Transformed(other, t)["spec"]["replicas"] == 3);

  // JSON is accepted too.
  CHECK(ParseTransformRules(R"([{"patch": [{"op": "remove", "path": "/spec"}]}])", "t.json").ok());
}

TEST_CASE("TransformObject: a failing patch fails the object, naming the rule, op and object",
          "[unit]") {
  TransformOptions t;
  Result<std::vector<TransformRule>> rules = ParseTransformRules(
      "- match: {kind: ConfigMap}\n  patch:\n  - {op: add, path: /data/x, value: 1}\n"
      "  - {op: remove, path: /spec/missing}\n",
      "bad.yaml");
  REQUIRE(rules.ok());
  t.rules = *rules;
  json cm = Obj("v1", "ConfigMap", "shop", "c");
  cm["data"] = json::object();
  json before = cm;
  std::vector<std::string> notes;
  Status s = TransformObject(cm, t, notes);
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().find("rule 1 of bad.yaml") != std::string::npos);
  CHECK(s.message().find("operation 2") != std::string::npos);
  CHECK(s.message().find("/spec/missing") != std::string::npos);
  CHECK(s.message().find("ConfigMap shop/c") != std::string::npos);
  CHECK(cm == before);  // a rule applies whole or not at all
}

TEST_CASE("ParseTransformRules and ParseMapping refuse malformed input", "[unit]") {
  CHECK_FALSE(ParseTransformRules("{match: {}}", "t").ok());                      // not a list
  CHECK_FALSE(ParseTransformRules("- match: {kindd: X}\n  patch: [{op: add, path: /a, value: 1}]", "t").ok());
  CHECK_FALSE(ParseTransformRules("- match: {kind: X}", "t").ok());               // no patch
  CHECK_FALSE(ParseTransformRules("- patch: [{path: /a}]", "t").ok());            // no op
  CHECK_FALSE(ParseTransformRules("- patch: [{op: add, path: /a}\n", "t").ok());  // syntax
  CHECK_FALSE(ParseTransformRules("- match: {selector: 'a in (b'}\n  patch: [{op: add, path: /a, value: 1}]", "t").ok());
  auto m = ParseMapping({"a=b,c=d", "e=f"}, "--namespace-mapping");
  REQUIRE(m.ok());
  CHECK(m->size() == 3);
  CHECK(m->at("c") == "d");
  CHECK_FALSE(ParseMapping({"a"}, "--x").ok());
  CHECK_FALSE(ParseMapping({"a=b,a=c"}, "--x").ok());
  CHECK_FALSE(ParseMapping({"=b"}, "--x").ok());
  CHECK_FALSE(ParseMapping({"a=b=c"}, "--x").ok());
}

}  // namespace
}  // namespace cairn::kube
