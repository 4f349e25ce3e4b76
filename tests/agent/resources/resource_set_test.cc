#include "agent/resources/resource_set.h"

#include <catch2/catch.hpp>

#include "tests/agent/resources/restore_fixture.h"

namespace cairn::kube {
namespace {

using test::MakeSnapshot;
using test::Obj;

TEST_CASE("BuildResourceSet: parses every object file with its path's identity", "[unit]") {
  SnapshotFiles files = MakeSnapshot({Obj("v1", "Namespace", "", "shop"),
                                      Obj("apps/v1", "Deployment", "shop", "web"),
                                      Obj("v1", "ConfigMap", "shop", "cfg")});
  files.files["README"] = "not part of the layout";
  Result<ResourceSet> set = BuildResourceSet(files);
  REQUIRE(set.ok());
  REQUIRE(set->objects.size() == 3);
  const ResourceObject* deploy = nullptr;
  for (const ResourceObject& o : set->objects) {
    if (o.kind == "Deployment") deploy = &o;
  }
  REQUIRE(deploy != nullptr);
  CHECK(deploy->file.group == "apps");
  CHECK(deploy->file.resource == "deployments");
  CHECK(deploy->file.ns == "shop");
  CHECK(deploy->group_version() == "apps/v1");
  CHECK(deploy->Describe() == "Deployment shop/web");
  CHECK(set->warnings.size() == 1);
}

// Rewrites the content of the one object file whose path contains `needle`.
void Tamper(SnapshotFiles& files, const std::string& needle, const nlohmann::json& object) {
  for (auto& [path, content] : files.files) {
    if (path.find(needle) != std::string::npos) content = object.dump();
  }
}

TEST_CASE("BuildResourceSet: an object that disagrees with its path is refused", "[unit]") {
  const nlohmann::json good = Obj("apps/v1", "Deployment", "shop", "web");
  struct Case {
    const char* what;
    nlohmann::json object;
  };
  nlohmann::json no_meta = good;
  no_meta.erase("metadata");
  std::vector<Case> cases = {
      {"another namespace", Obj("apps/v1", "Deployment", "kube-system", "web")},
      {"another name", Obj("apps/v1", "Deployment", "shop", "evil")},
      {"another kind", Obj("apps/v1", "StatefulSet", "shop", "web")},
      {"another group", Obj("batch/v1", "Deployment", "shop", "web")},
      {"cluster-scoped", Obj("apps/v1", "Deployment", "", "web")},
      {"no metadata", no_meta},
      {"not an object", nlohmann::json::array()},
  };
  for (const Case& c : cases) {
    SECTION(c.what) {
      SnapshotFiles files = MakeSnapshot({good});
      Tamper(files, "deployments", c.object);
      Result<ResourceSet> set = BuildResourceSet(files);
      REQUIRE_FALSE(set.ok());
      CHECK(set.error().code() == Status::Code::kCorruption);
      CHECK(set.error().message().find("resources/apps/deployments/namespaces/shop/web.json") !=
            std::string::npos);
    }
  }
  SECTION("damaged JSON") {
    SnapshotFiles files = MakeSnapshot({good});
    for (auto& [path, content] : files.files) {
      if (path.find("deployments") != std::string::npos) content = "{\"apiVersion\": ";
    }
    CHECK(BuildResourceSet(files).error().code() == Status::Code::kCorruption);
  }
  SECTION("a resource the index does not list") {
    SnapshotFiles files = MakeSnapshot({good});
    files.files["resources/core/configmaps/namespaces/shop/x.json"] =
        Obj("v1", "ConfigMap", "shop", "x").dump();
    CHECK(BuildResourceSet(files).error().code() == Status::Code::kCorruption);
  }
}

TEST_CASE("BuildResourceSet: a tree without index.json is not a resources snapshot", "[unit]") {
  SnapshotFiles files = MakeSnapshot({Obj("v1", "Namespace", "", "shop")});
  files.files.erase("index.json");
  Result<ResourceSet> set = BuildResourceSet(files);
  REQUIRE_FALSE(set.ok());
  CHECK(set.error().message().find("index.json") != std::string::npos);
}

}  // namespace
}  // namespace cairn::kube
