// ListAll against a canned paginated list: three pages joined with continue,
// a 410 Gone on page 2 restarting the list without duplicates, a 410 that
// never ends, 403 on the first page, and selectors passed to the server.
#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "agent/kube/list_pager.h"
#include "tests/agent/kube/fake_api_server.h"

namespace cairn::kube {
namespace {

using nlohmann::json;

// Seven deployments served three a page; continue tokens "2" and "3" name the
// next page. `gone_on_page_2` pages 2 requests answer 410 first.
struct PagedList {
  std::atomic<int> requests{0};
  std::atomic<int> gone_on_page_2{0};
  std::mutex mu;
  std::vector<std::map<std::string, std::string>> queries;

  HttpResponse Serve(HttpRequest& req) {
    ++requests;
    {
      std::lock_guard lock(mu);
      queries.push_back(req.query);
    }
    const int limit = std::stoi(req.query_value("limit").value_or("0"));
    const int page = std::stoi(req.query_value("continue").value_or("1"));
    if (page == 2 && gone_on_page_2 > 0) {
      --gone_on_page_2;
      return test::StatusResponse(410, "Expired",
                                  "The provided continue parameter is too old to display a "
                                  "consistent list result.");
    }
    json items = json::array();
    const int first = (page - 1) * limit;
    for (int i = first; i < std::min(first + limit, 7); ++i) {
      items.push_back({{"metadata", {{"name", "web-" + std::to_string(i)}, {"namespace", "prod"}}},
                       {"spec", {{"replicas", i}}}});
    }
    json meta = {{"resourceVersion", std::to_string(100 + page)}};
    if (first + limit < 7) meta["continue"] = std::to_string(page + 1);
    return JsonResponse(200, {{"kind", "DeploymentList"}, {"apiVersion", "apps/v1"},
                              {"metadata", meta}, {"items", items}});
  }
};

const ApiResource kDeployments{"apps", "v1", "deployments", "Deployment", true, true, {"list"}};

Router PagedRouter(std::shared_ptr<PagedList> list) {
  Router router;
  auto handler = [list](HttpRequest& req) { return list->Serve(req); };
  router.Add(http::verb::get, "/apis/apps/v1/deployments", handler);
  router.Add(http::verb::get, "/apis/apps/v1/namespaces/prod/deployments", handler);
  return router;
}

std::vector<std::string> ItemNames(const ListResult& r) {
  std::vector<std::string> names;
  for (const json& item : r.items) names.push_back(item["metadata"]["name"].get<std::string>());
  return names;
}

// Lists kDeployments, three a page unless `options` says otherwise, from a
// server serving `list`.
Result<ListResult> ListPaged(const std::shared_ptr<PagedList>& list, ListOptions options = {}) {
  cairn::test::TestServer srv(PagedRouter(list), test::KubeListener());
  auto client = test::MakeClient(test::ClientOptions(srv.port(), nullptr));
  if (options.page_size == ListOptions{}.page_size) options.page_size = 3;
  return ListAll(*client, kDeployments, options);
}

const std::vector<std::string> kAllNames{"web-0", "web-1", "web-2", "web-3",
                                         "web-4", "web-5", "web-6"};

TEST_CASE("ListAll: joins three pages with continue and sets apiVersion/kind on every item",
          "[integration]") {
  auto list = std::make_shared<PagedList>();
  ListOptions options;
  options.ns = "prod";
  options.label_selector = "app in (web, api),!canary";
  options.field_selector = "metadata.name!=x";
  auto result = ListPaged(list, options);
  INFO(result.status().ToString());
  REQUIRE(result.ok());
  CHECK(ItemNames(*result) == kAllNames);
  CHECK(result->pages == 3);
  CHECK(result->restarts == 0);
  CHECK(result->resource_version == "103");
  for (const json& item : result->items) {
    CHECK(item["apiVersion"] == "apps/v1");
    CHECK(item["kind"] == "Deployment");
  }
  std::lock_guard lock(list->mu);
  REQUIRE(list->queries.size() == 3);
  CHECK(list->queries[0].count("continue") == 0);
  CHECK(list->queries[1]["continue"] == "2");
  CHECK(list->queries[2]["continue"] == "3");
  for (auto& q : list->queries) {
    CHECK(q["limit"] == "3");
    CHECK(q["labelSelector"] == "app in (web, api),!canary");
    CHECK(q["fieldSelector"] == "metadata.name!=x");
  }
}

TEST_CASE("ListAll: a 410 Gone on page 2 restarts the list and counts nothing twice",
          "[integration]") {
  auto list = std::make_shared<PagedList>();
  list->gone_on_page_2 = 1;
  auto result = ListPaged(list);
  INFO(result.status().ToString());
  REQUIRE(result.ok());
  CHECK(ItemNames(*result) == kAllNames);
  CHECK(result->restarts == 1);
  CHECK(result->pages == 3);
  CHECK(list->requests == 5);  // page 1, 410, then pages 1, 2, 3
}

TEST_CASE("ListAll: a 410 Gone on every try is Unavailable after max_restarts", "[integration]") {
  auto list = std::make_shared<PagedList>();
  list->gone_on_page_2 = 1000;
  ListOptions options;
  options.max_restarts = 2;
  auto result = ListPaged(list, options);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().code() == Status::Code::kUnavailable);
  CHECK_THAT(result.error().message(),
             Catch::Contains("list deployments.apps") && Catch::Contains("410 Gone"));
  CHECK(list->requests == 6);  // (page 1, 410) x 3
}

TEST_CASE("ListAll: 403 on the first page is PermissionDenied with the server's message",
          "[integration]") {
  Router router;
  router.Add(http::verb::get, "/api/v1/secrets", [](HttpRequest&) {
    return test::StatusResponse(403, "Forbidden",
                                "secrets is forbidden: User \"system:serviceaccount:cairn:agent\" "
                                "cannot list resource \"secrets\" in API group \"\" at the cluster scope");
  });
  cairn::test::TestServer srv(std::move(router), test::KubeListener());
  auto client = test::MakeClient(test::ClientOptions(srv.port(), nullptr));
  ApiResource secrets{"", "v1", "secrets", "Secret", true, true, {"list"}};
  auto result = ListAll(*client, secrets);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().IsPermissionDenied());
  CHECK_THAT(result.error().message(),
             Catch::StartsWith("list secrets: secrets is forbidden") &&
                 Catch::Contains("cannot list resource"));
  CHECK(client->stats().retries == 0);
}

TEST_CASE("ListAll: more items than max_items is IoError naming the type", "[integration]") {
  ListOptions options;
  options.max_items = 5;
  auto result = ListPaged(std::make_shared<PagedList>(), options);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().code() == Status::Code::kIoError);
  CHECK_THAT(result.error().message(), Catch::Contains("deployments.apps") && Catch::Contains("5"));
}

}  // namespace
}  // namespace cairn::kube
