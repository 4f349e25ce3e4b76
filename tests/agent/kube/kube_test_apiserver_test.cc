// The client against the project's Kubernetes test API server (real wire
// protocol, tests/support/kube): the kubeconfig it writes loads for both its
// contexts (bearer token with inline CA; client certificate with files
// relative to the kubeconfig), discovery finds the built-in and seeded
// types, ListAll pages through a seeded namespace, and the server's 403 and
// expired-continue faults surface as the resources collector expects.
#include <catch2/catch.hpp>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "agent/kube/discovery.h"
#include "agent/kube/label_selector.h"
#include "agent/kube/list_pager.h"
#include "tests/agent/kube/kube_test_apiserver.h"
#include "tests/support/temp_dir.h"

namespace cairn::kube {
namespace {

using nlohmann::json;

void WriteSeed(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  std::ofstream out(dir / "shop.yaml");
  out << "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n";
  for (int i = 0; i < 7; ++i) {
    out << "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-" << i
        << "\n  namespace: shop\n  labels:\n    app: " << (i < 4 ? "web" : "db")
        << "\ndata:\n  n: \"" << i << "\"\n";
  }
  out << "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: shop\n"
         "type: Opaque\ndata:\n  k: dg==\n";
  REQUIRE(out.good());
}

// The server with WriteSeed's objects, or nullptr (and a warning) when
// python3 or the server is missing here.
std::unique_ptr<test::KubeTestApiServer> StartSeeded(const std::filesystem::path& dir) {
  if (std::string missing = test::KubeTestApiServerMissing(); !missing.empty()) {
    WARN("SKIPPED: the kube-test-apiserver test needs python3 and tests/support/kube: " << missing);
    return nullptr;
  }
  WriteSeed(dir / "seed");
  return std::make_unique<test::KubeTestApiServer>(dir, dir / "seed");
}

std::unique_ptr<KubeClient> Connect(const std::filesystem::path& kubeconfig,
                                    const std::string& context) {
  auto config = LoadKubeconfig(kubeconfig, context);
  INFO(context << ": " << config.status().ToString());
  REQUIRE(config.ok());
  KubeClientOptions options;
  options.config = std::move(*config);
  options.initial_backoff = std::chrono::milliseconds(10);
  options.max_backoff = std::chrono::milliseconds(100);
  auto client = KubeClient::Create(std::move(options));
  INFO(client.status().ToString());
  REQUIRE(client.ok());
  return std::move(*client);
}

TEST_CASE("KubeClient against kube-test-apiserver: both kubeconfig contexts, discovery, paged lists",
          "[integration]") {
  TempDir dir("kube-apiserver");
  auto started = StartSeeded(dir.path());
  if (!started) return;
  test::KubeTestApiServer& server = *started;

  auto token_config = LoadKubeconfig(server.kubeconfig(), "token");
  REQUIRE(token_config.ok());
  CHECK_FALSE(token_config->bearer_token.empty());
  CHECK(token_config->server == "https://127.0.0.1:" + std::to_string(server.port()));
  auto cert_config = LoadKubeconfig(server.kubeconfig(), "cert");
  REQUIRE(cert_config.ok());
  CHECK_FALSE(cert_config->client_cert_pem.empty());
  CHECK(cert_config->bearer_token.empty());

  for (const char* context : {"token", "cert"}) {
    INFO("context " << context);
    auto client = Connect(server.kubeconfig(), context);

    auto found = Discover(*client);
    INFO(found.status().ToString());
    REQUIRE(found.ok());
    CHECK(found->warnings.empty());
    const ApiResource* configmaps = found->FindPreferredKind("", "ConfigMap");
    REQUIRE(configmaps != nullptr);
    CHECK(configmaps->resource == "configmaps");
    CHECK(configmaps->namespaced);
    CHECK(configmaps->HasVerb("list"));
    const ApiResource* deployments = found->FindPreferredKind("apps", "Deployment");
    REQUIRE(deployments != nullptr);
    CHECK(deployments->version == "v1");
    const ApiResource* hpa = found->FindPreferredKind("autoscaling", "HorizontalPodAutoscaler");
    REQUIRE(hpa != nullptr);
    CHECK(hpa->version == "v2");
    CHECK(found->FindKind("autoscaling/v1", "HorizontalPodAutoscaler") != nullptr);
    for (const ApiResource& r : found->resources) {
      CHECK(r.resource.find('/') == std::string::npos);
    }

    ListOptions options;
    options.ns = "shop";
    options.page_size = 2;
    auto all = ListAll(*client, *configmaps, options);
    INFO(all.status().ToString());
    REQUIRE(all.ok());
    CHECK(all->pages == 4);
    std::set<std::string> names;
    for (const json& item : all->items) {
      CHECK(item["apiVersion"] == "v1");
      CHECK(item["kind"] == "ConfigMap");
      names.insert(item["metadata"]["name"].get<std::string>());
    }
    CHECK(names == std::set<std::string>{"cm-0", "cm-1", "cm-2", "cm-3", "cm-4", "cm-5", "cm-6"});

    options.label_selector = "app in (web)";
    auto web = ListAll(*client, *configmaps, options);
    REQUIRE(web.ok());
    CHECK(web->items.size() == 4);
    auto selector = LabelSelector::Parse(options.label_selector);
    REQUIRE(selector.ok());
    for (const json& item : web->items) CHECK(selector->Matches(item));
  }
}

TEST_CASE("KubeClient against kube-test-apiserver: 403 and an expired continue token",
          "[integration]") {
  TempDir dir("kube-apiserver");
  auto started = StartSeeded(dir.path());
  if (!started) return;
  test::KubeTestApiServer& server = *started;
  auto client = Connect(server.kubeconfig(), "token");
  auto found = Discover(*client);
  REQUIRE(found.ok());
  const ApiResource* configmaps = found->FindPreferredKind("", "ConfigMap");
  const ApiResource* secrets = found->FindPreferredKind("", "Secret");
  REQUIRE(configmaps != nullptr);
  REQUIRE(secrets != nullptr);

  json faults = {{"forbid", {"secrets"}},
                 {"expire_continue", {{{"resource", "configmaps"}, {"after_pages", 1}, {"times", 1}}}}};
  auto set = client->Call({"POST", "/_test/faults", faults.dump(), "application/json"});
  REQUIRE(set.ok());
  REQUIRE(set->status == 200);

  auto forbidden = ListAll(*client, *secrets);
  REQUIRE_FALSE(forbidden.ok());
  CHECK(forbidden.error().IsPermissionDenied());
  CHECK_THAT(forbidden.error().message(),
             Catch::StartsWith("list secrets: ") && Catch::Contains("forbidden"));

  ListOptions options;
  options.ns = "shop";
  options.page_size = 3;
  auto restarted = ListAll(*client, *configmaps, options);
  INFO(restarted.status().ToString());
  REQUIRE(restarted.ok());
  CHECK(restarted->restarts == 1);
  CHECK(restarted->items.size() == 7);
  std::set<std::string> names;
  for (const json& item : restarted->items) names.insert(item["metadata"]["name"].get<std::string>());
  CHECK(names.size() == 7);
}

}  // namespace
}  // namespace cairn::kube
