// ResourceCollector against the canned cluster: the plan is in layout order
// with the skipped types and reasons, lists happen lazily one type per
// Next() (never the whole cluster at once), a type gone since discovery is
// skipped with a warning in each namespace listed, and serialisation
// is canonical.
#include <catch2/catch.hpp>

#include "agent/resources/resource_collector.h"
#include "tests/agent/resources/canned_cluster.h"

namespace cairn::kube {
namespace {

ResourceFilter Filter(ResourceFilterOptions options = {}) {
  auto f = ResourceFilter::Create(options);
  REQUIRE(f.ok());
  return std::move(*f);
}

int TotalPages(test::CannedCluster& c) {
  std::lock_guard lock(c.mu);
  int n = 0;
  for (const auto& [name, pages] : c.pages) n += pages;
  return n;
}

TEST_CASE("ResourceCollector: the plan follows the layout order and lists one type per Next()",
          "[integration]") {
  test::CannedServer canned;
  ResourceFilter filter = Filter();
  ResourceCollector collector(*canned.client, filter, {.page_size = 3});
  REQUIRE(collector.Discover().ok());
  std::vector<std::string> planned;
  for (const ApiResource& r : collector.planned()) planned.push_back(r.qualified_name());
  CHECK(planned == std::vector<std::string>{"deployments.apps", "configmaps", "namespaces", "pods",
                                            "secrets", "services", "clusterpolicies.example.com",
                                            "widgets.example.com"});
  // Preferred versions only: example.com is listed through v1, not v1beta1.
  CHECK(collector.planned()[6].version == "v1");
  CHECK(collector.skipped().size() == 4);  // bindings, events, nodes, pods.metrics.k8s.io
  CHECK(TotalPages(*canned.cluster) == 0);  // discovery lists nothing

  int types = 0;
  std::uint64_t objects = 0;
  for (int guard = 0; guard < 100; ++guard) {
    const int before = TotalPages(*canned.cluster);
    auto next = collector.Next();
    REQUIRE(next.ok());
    if (!*next) break;
    const CollectedType& t = **next;
    INFO(t.info.resource);
    // Only this type's pages were fetched for this call.
    CHECK(TotalPages(*canned.cluster) - before == canned.cluster->pages[t.info.resource +
                                                                        (t.info.group.empty() ? "" : "." + t.info.group)]);
    CHECK(t.info.objects == t.objects.size());
    CHECK(std::is_sorted(t.objects.begin(), t.objects.end(),
                         [](const auto& a, const auto& b) { return a.path < b.path; }));
    ++types;
    objects += t.info.objects;
  }
  CHECK(types == 8);
  CHECK(objects == 19);
  auto after = collector.Next();  // stays at the end
  REQUIRE(after.ok());
  CHECK_FALSE(after->has_value());
}

TEST_CASE("ResourceCollector: a type gone since discovery is skipped in each namespace listed, with a warning",
          "[integration]") {
  test::CannedServer canned;
  {
    std::lock_guard lock(canned.cluster->mu);
    canned.cluster->objects.erase("widgets.example.com");  // the canned server answers 404
  }
  ResourceFilter filter = Filter({.include_namespaces = {"dev", "prod"}});
  ResourceCollector collector(*canned.client, filter);
  REQUIRE(collector.Discover().ok());
  std::map<std::string, std::uint64_t> counts;
  for (int guard = 0; guard < 100; ++guard) {
    auto next = collector.Next();
    INFO(next.status().ToString());
    REQUIRE(next.ok());
    if (!*next) break;
    counts[(*next)->info.resource] = (*next)->info.objects;
  }
  CHECK_FALSE(counts.contains("widgets"));
  CHECK(counts["pods"] == 6);
  CHECK(counts["namespaces"] == 2);  // dev and prod, not default
  std::vector<std::string> gone;
  for (const SkippedResource& s : collector.skipped()) {
    if (s.resource == "widgets") gone.push_back(s.reason);
  }
  REQUIRE(gone.size() == 2);  // once for each namespace listed
  CHECK_THAT(gone[0], Catch::StartsWith("gone since discovery: ") && Catch::Contains("namespace dev"));
  CHECK_THAT(gone[1], Catch::StartsWith("gone since discovery: ") && Catch::Contains("namespace prod"));
  CHECK(collector.warnings().size() == 2);
}

TEST_CASE("SerializeObject: sorted keys, two-space indent, a final newline, bad UTF-8 replaced",
          "[unit]") {
  nlohmann::json j = {{"b", 1}, {"a", {{"z", "x"}, {"c", nlohmann::json::array({1})}}}};
  CHECK(SerializeObject(j) == "{\n  \"a\": {\n    \"c\": [\n      1\n    ],\n    \"z\": \"x\"\n  },\n  \"b\": 1\n}\n");
  nlohmann::json bad = {{"k", std::string("\xff\xfe", 2)}};
  CHECK(SerializeObject(bad) == "{\n  \"k\": \"\xEF\xBF\xBD\xEF\xBF\xBD\"\n}\n");
}

}  // namespace
}  // namespace cairn::kube
