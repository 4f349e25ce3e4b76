// The schedule routes as the daemon registers them (admin and ingest
// routers over a real ApplianceCore), called without sockets: roles, audit,
// and an agent seeing only its own cluster's schedules.
#include <catch2/catch.hpp>

#include "appliance/daemon/admin_api.h"
#include "appliance/daemon/appliance_core.h"
#include "appliance/daemon/ingest_api.h"
#include "tests/appliance/daemon/test_appliance_core.h"
#include "tests/support/temp_dir.h"

namespace cairn {
namespace {

using json = nlohmann::json;

struct ScheduleApiFixture {
  TempDir dir;
  std::unique_ptr<ApplianceCore> core;
  Router admin;
  Router ingest;

  ScheduleApiFixture() {
    core = test::MakeTestApplianceCore(dir.path());
    AddAdminRoutes(admin, services());
    AddIngestRoutes(ingest, services());
    for (const char* cluster : {"edge", "core"}) {
      REQUIRE(services().registry.CreateEnrollmentToken(cluster, std::chrono::hours(1),
                                                        services().ca.sha256_hex(), "test")
                  .ok());
    }
  }
  ApplianceServices& services() { return core->services(); }

  std::string ApiToken(Role role) {
    auto t = services().registry.CreateApiToken(std::string(RoleName(role)), role);
    REQUIRE(t.ok());
    return t->second;
  }

  // An agent of `cluster`, as the mTLS layer would present it.
  PeerIdentity Agent(const std::string& id, const std::string& cluster) {
    Registry::AgentRecord a;
    a.id = id;
    a.cluster = cluster;
    a.common_name = id;
    a.cert_serial = id == "ag-edge" ? "e1" : "c1";
    a.cert_sha256 = std::string(64, id == "ag-edge" ? 'e' : 'c');
    a.cert_not_after_unix = 4'000'000'000;
    REQUIRE(services().registry.RegisterAgent(a).ok());
    PeerIdentity p;
    p.has_certificate = true;
    p.serial_hex = a.cert_serial;
    p.sha256_hex = a.cert_sha256;
    return p;
  }

  static HttpResponse Call(const Router& router, http::verb verb, const std::string& path,
                           const std::string& token, const json& body = nullptr,
                           PeerIdentity peer = {}) {
    Router::Match m = router.Find(verb, path);
    INFO(path);
    REQUIRE(m.handler != nullptr);
    HttpRequest req;
    req.method = verb;
    req.target = req.path = path;
    req.params = m.params;
    if (!token.empty()) req.headers.set(http::field::authorization, "Bearer " + token);
    if (!body.is_null()) req.body = body.dump();
    req.peer = peer;
    return (*m.handler)(req);
  }
};

json Body(const HttpResponse& r) { return json::parse(r.body, nullptr, false); }

TEST_CASE("Schedules API: operators set and remove, auditors only read, every change audited",
          "[integration]") {
  ScheduleApiFixture f;
  const std::string op = f.ApiToken(Role::kOperator);
  const std::string auditor = f.ApiToken(Role::kAuditor);
  const std::string admin = f.ApiToken(Role::kAdmin);
  const json daily{{"cron", "0 3 * * *"}, {"kind", "resources"},
                   {"options", {{"exclude_namespaces", {"kube-system"}}}}};

  HttpResponse r = ScheduleApiFixture::Call(f.admin, http::verb::put,
                                            "/v1/clusters/edge/schedules/daily", op, daily);
  INFO(r.body);
  REQUIRE(r.status == 201);
  CHECK(Body(r)["options"] == daily["options"]);
  r = ScheduleApiFixture::Call(f.admin, http::verb::put, "/v1/clusters/edge/schedules/daily", admin,
                               {{"cron", "@hourly"}, {"kind", "resources"}});
  CHECK(r.status == 200);  // replaced

  // The auditor may read but not change.
  r = ScheduleApiFixture::Call(f.admin, http::verb::put, "/v1/clusters/edge/schedules/x", auditor,
                               daily);
  CHECK(r.status == 403);
  CHECK(Body(r)["error"]["message"].get<std::string>().find("manage-schedules") !=
        std::string::npos);
  r = ScheduleApiFixture::Call(f.admin, http::verb::delete_, "/v1/clusters/edge/schedules/daily",
                               auditor);
  CHECK(r.status == 403);
  r = ScheduleApiFixture::Call(f.admin, http::verb::get, "/v1/clusters/edge/schedules", auditor);
  REQUIRE(r.status == 200);
  REQUIRE(Body(r)["schedules"].size() == 1);
  CHECK(Body(r)["schedules"][0]["cron"] == "@hourly");
  // No token at all: 401.
  CHECK(ScheduleApiFixture::Call(f.admin, http::verb::get, "/v1/clusters/edge/schedules", "").status ==
        401);

  // Bad bodies and bad schedules are 400 with the reason; unknown clusters 404.
  CHECK(ScheduleApiFixture::Call(f.admin, http::verb::put, "/v1/clusters/edge/schedules/b", op,
                                 {{"cron", 5}})
            .status == 400);
  r = ScheduleApiFixture::Call(f.admin, http::verb::put, "/v1/clusters/edge/schedules/b", op,
                               {{"cron", "61 * * *"}, {"kind", "resources"}});
  CHECK(r.status == 400);
  CHECK(ScheduleApiFixture::Call(f.admin, http::verb::put, "/v1/clusters/mars/schedules/b", op, daily)
            .status == 404);

  r = ScheduleApiFixture::Call(f.admin, http::verb::delete_, "/v1/clusters/edge/schedules/daily", op);
  CHECK(r.status == 200);
  CHECK(ScheduleApiFixture::Call(f.admin, http::verb::delete_, "/v1/clusters/edge/schedules/daily",
                                 op)
            .status == 404);

  // The audit log has the changes, the failures and the refusals.
  auto audit = f.services().registry.ListAudit(0, 100);
  REQUIRE(audit.ok());
  int set_ok = 0, set_failed = 0, denied = 0, removed = 0;
  for (const auto& e : *audit) {
    if (e.action == "schedule.set" && e.outcome == "ok") ++set_ok;
    if (e.action == "schedule.set" && e.outcome == "failed") ++set_failed;
    if (e.outcome == "denied") ++denied;
    if (e.action == "schedule.remove" && e.outcome == "ok") ++removed;
  }
  CHECK(set_ok == 2);
  CHECK(set_failed == 2);  // bad cron, unknown cluster (a malformed body is refused before)
  CHECK(denied == 2);
  CHECK(removed == 1);
}

TEST_CASE("Schedules API: an agent gets its own cluster's schedules and no other's",
          "[integration]") {
  ScheduleApiFixture f;
  const std::string op = f.ApiToken(Role::kOperator);
  REQUIRE(ScheduleApiFixture::Call(f.admin, http::verb::put, "/v1/clusters/edge/schedules/e1", op,
                                   {{"cron", "*/3 * * * * *"},
                                    {"kind", "directory"},
                                    {"options", {{"path", "/data"}}}})
              .status == 201);
  REQUIRE(ScheduleApiFixture::Call(f.admin, http::verb::put, "/v1/clusters/core/schedules/c1", op,
                                   {{"cron", "@daily"}, {"kind", "volumes"}})
              .status == 201);
  const PeerIdentity edge = f.Agent("ag-edge", "edge");
  const PeerIdentity core = f.Agent("ag-core", "core");

  HttpResponse r = ScheduleApiFixture::Call(f.ingest, http::verb::get, "/v1/agent/schedules", "",
                                            nullptr, edge);
  REQUIRE(r.status == 200);
  json j = Body(r);
  CHECK(j["cluster"] == "edge");
  REQUIRE(j["schedules"].size() == 1);
  CHECK(j["schedules"][0]["name"] == "e1");
  CHECK(j["schedules"][0]["options"]["path"] == "/data");

  j = Body(ScheduleApiFixture::Call(f.ingest, http::verb::get, "/v1/agent/schedules", "", nullptr,
                                    core));
  REQUIRE(j["schedules"].size() == 1);
  CHECK(j["schedules"][0]["name"] == "c1");

  // No client certificate, or a revoked agent: refused.
  CHECK(ScheduleApiFixture::Call(f.ingest, http::verb::get, "/v1/agent/schedules", "").status == 403);
  REQUIRE(f.services().registry.RevokeAgent("ag-edge").ok());
  CHECK(ScheduleApiFixture::Call(f.ingest, http::verb::get, "/v1/agent/schedules", "", nullptr, edge)
            .status == 403);
  // The ingest listener has no admin schedule routes.
  CHECK(f.ingest.Find(http::verb::put, "/v1/clusters/edge/schedules/x").handler == nullptr);
}

}  // namespace
}  // namespace cairn
