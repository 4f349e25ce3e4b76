// POST /v1/jobs/{kind} (appliance/daemon/jobs_api.h) in process: every start
// attempt is audited as "job.<kind>" through StartAuditedJob -- the one the
// maintenance schedule uses too -- with the job's id when it started and
// the reason when it did not (options the kind refuses, another job
// running).
#include "appliance/daemon/jobs_api.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "tests/appliance/daemon/test_appliance_core.h"
#include "tests/support/temp_dir.h"

namespace cairn {
namespace {

using json = nlohmann::json;

std::vector<Registry::AuditEntry> Audited(ApplianceServices& s, const std::string& action) {
  auto entries = s.registry.ListAudit(0, Registry::kMaxAuditPage);
  REQUIRE(entries.ok());
  std::vector<Registry::AuditEntry> out;
  for (const auto& e : *entries) {
    if (e.action == action) out.push_back(e);
  }
  return out;
}

HttpResponse Post(ApplianceServices& s, const std::string& kind, const std::string& body) {
  HttpRequest req;
  req.method = http::verb::post;
  req.target = req.path = "/v1/jobs/" + kind;
  req.body = body;
  return StartJob(req, s, kind, "api-token:t1(ops)");
}

TEST_CASE("Jobs API: started, refused and busy starts are each audited with the job or the reason",
          "[integration][jobs]") {
  TempDir dir;
  auto core = test::MakeTestApplianceCore(dir.path());
  ApplianceServices& s = core->services();

  HttpResponse r = Post(s, "prune", R"({"options": {"dry_run": true}})");
  INFO(r.body);
  REQUIRE(r.status == 202);
  const std::string id = json::parse(r.body)["id"];
  s.jobs->WaitFor(id);
  auto audited = Audited(s, "job.prune");
  REQUIRE(audited.size() == 1);
  CHECK(audited[0].actor == "api-token:t1(ops)");
  CHECK(audited[0].outcome == "ok");
  CHECK(json::parse(audited[0].detail_json) == json{{"options", {{"dry_run", true}}}, {"job", id}});

  r = Post(s, "prune", R"({"options": {"dry_run": "yes"}})");
  CHECK(r.status == 400);
  audited = Audited(s, "job.prune");
  REQUIRE(audited.size() == 2);
  CHECK(audited[1].outcome == "failed");
  CHECK(json::parse(audited[1].detail_json)["error"].get<std::string>().find("dry_run") !=
        std::string::npos);

  // While another job holds the runner: 409, audited, naming the job.
  std::atomic<bool> release{false};
  auto blocking = s.jobs->Start("blocker", json::object(), "test", [&](JobContext& job) {
    while (!release && !job.cancel) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return Result<json>(json::object());
  });
  REQUIRE(blocking.ok());
  r = Post(s, "gc", "");
  release = true;
  s.jobs->WaitFor(*blocking);
  CHECK(r.status == 409);
  audited = Audited(s, "job.gc");
  REQUIRE(audited.size() == 1);
  CHECK(audited[0].outcome == "failed");
  CHECK(json::parse(audited[0].detail_json)["error"].get<std::string>().find(*blocking) !=
        std::string::npos);

  // A malformed body is refused before anything is started or audited.
  CHECK(Post(s, "verify", "[1]").status == 400);
  CHECK(Audited(s, "job.verify").empty());
}

}  // namespace
}  // namespace cairn
