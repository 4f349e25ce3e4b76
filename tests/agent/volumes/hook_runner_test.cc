#include "agent/volumes/hook_runner.h"

#include <catch2/catch.hpp>

namespace cairn::volumes {
namespace {

// Records every exec; answers by the command's first argument: "fail" exits
// 2 with stderr, "unreachable" cannot run, anything else exits 0.
class FakeExec : public PodExecutor {
 public:
  std::vector<std::string> log;
  Result<ExecResult> Exec(const std::string& ns, const std::string& pod,
                          const std::string& container, const std::vector<std::string>& command,
                          std::chrono::milliseconds) override {
    log.push_back(ns + "/" + pod + "@" + container + " " + command.back());
    ExecResult r;
    if (command.front() == "unreachable") return Status::Unavailable("connection refused");
    if (command.front() == "fail") {
      r.exit_code = 2;
      r.stderr_tail = "fsfreeze: /data: Operation not permitted\n";
    }
    return r;
  }
};

HookSpec Spec(HookPhase phase, std::string program, std::string tag,
              HookOnError on_error = HookOnError::kFail) {
  HookSpec s;
  s.phase = phase;
  s.command = {std::move(program), std::move(tag)};
  s.container = "app";
  s.on_error = on_error;
  return s;
}

HookPod Pod(std::string name, std::optional<HookSpec> pre, std::optional<HookSpec> post) {
  return HookPod{"shop", std::move(name), PodHooks{std::move(pre), std::move(post)}};
}

TEST_CASE("HookRunner: a pod's pre hook runs before its first volume, its post hook after its last",
          "[unit]") {
  FakeExec exec;
  // Pod 0 mounts volumes 0 and 1; pod 1 mounts volume 1 only.
  HookRunner runner(exec,
                    {Pod("db", Spec(HookPhase::kPre, "sh", "freeze-db"),
                         Spec(HookPhase::kPost, "sh", "thaw-db")),
                     Pod("web", Spec(HookPhase::kPre, "sh", "freeze-web"),
                         Spec(HookPhase::kPost, "sh", "thaw-web"))},
                    {{0}, {0, 1}});
  REQUIRE(runner.BeforeVolume(0).ok());
  exec.log.push_back("read 0");
  REQUIRE(runner.AfterVolume(0).ok());
  REQUIRE(runner.BeforeVolume(1).ok());
  exec.log.push_back("read 1");
  REQUIRE(runner.AfterVolume(1).ok());
  runner.Finish();
  CHECK(exec.log == std::vector<std::string>{"shop/db@app freeze-db", "read 0",
                                             "shop/web@app freeze-web", "read 1",
                                             "shop/db@app thaw-db", "shop/web@app thaw-web"});
  REQUIRE(runner.results().size() == 4);
  CHECK(runner.results()[0].ok);
  CHECK(runner.TakeWarnings().empty());
}

TEST_CASE("HookRunner: a failing pre hook under Fail stops the backup and runs nothing more of it",
          "[unit]") {
  FakeExec exec;
  HookRunner runner(exec,
                    {Pod("db", Spec(HookPhase::kPre, "fail", "freeze"),
                         Spec(HookPhase::kPost, "sh", "thaw"))},
                    {{0}});
  Status s = runner.BeforeVolume(0);
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == Status::Code::kCancelled);
  CHECK_THAT(s.message(), Catch::Contains("pre hook of pod shop/db"));
  CHECK_THAT(s.message(), Catch::Contains("exited with code 2"));
  CHECK_THAT(s.message(), Catch::Contains("Operation not permitted"));
  CHECK_THAT(s.message(), Catch::Contains("nothing committed"));
  runner.Finish();
  CHECK(exec.log == std::vector<std::string>{"shop/db@app freeze"});
  REQUIRE(runner.results().size() == 1);
  CHECK(runner.results()[0].exit_code == 2);
}

TEST_CASE("HookRunner: post hooks still run when the backup stops after the pre hooks ran",
          "[unit]") {
  FakeExec exec;
  HookRunner runner(exec,
                    {Pod("db", Spec(HookPhase::kPre, "sh", "freeze"),
                         Spec(HookPhase::kPost, "sh", "thaw")),
                     Pod("idle", Spec(HookPhase::kPre, "sh", "never"), std::nullopt)},
                    {{0}, {1}});
  REQUIRE(runner.BeforeVolume(0).ok());
  // ... the upload fails here; volume 1 is never started.
  runner.Finish();
  runner.Finish();  // twice is harmless
  CHECK(exec.log == std::vector<std::string>{"shop/db@app freeze", "shop/db@app thaw"});
  REQUIRE(runner.results().size() == 2);
  CHECK(runner.results()[1].after_failure);
}

TEST_CASE("HookRunner: failures under Continue become warnings and the backup goes on", "[unit]") {
  FakeExec exec;
  HookRunner runner(exec,
                    {Pod("db", Spec(HookPhase::kPre, "unreachable", "freeze", HookOnError::kContinue),
                         Spec(HookPhase::kPost, "fail", "thaw", HookOnError::kContinue))},
                    {{0}});
  REQUIRE(runner.BeforeVolume(0).ok());
  REQUIRE(runner.AfterVolume(0).ok());
  std::vector<std::string> warnings = runner.TakeWarnings();
  REQUIRE(warnings.size() == 2);
  CHECK_THAT(warnings[0], Catch::Contains("failed: connection refused"));
  CHECK_THAT(warnings[1], Catch::Contains("exited with code 2"));
}

TEST_CASE("HookRunner: a failing post hook under Fail fails the backup after the others ran",
          "[unit]") {
  FakeExec exec;
  HookRunner runner(exec,
                    {Pod("a", std::nullopt, Spec(HookPhase::kPost, "fail", "thaw-a")),
                     Pod("b", std::nullopt, Spec(HookPhase::kPost, "sh", "thaw-b"))},
                    {{0, 1}});
  REQUIRE(runner.BeforeVolume(0).ok());
  Status s = runner.AfterVolume(0);
  CHECK_FALSE(s.ok());
  CHECK(exec.log == std::vector<std::string>{"shop/a@app thaw-a", "shop/b@app thaw-b"});
}

TEST_CASE("HookRunner: a second attempt settles the first and runs the hooks again", "[unit]") {
  FakeExec exec;
  HookRunner runner(exec,
                    {Pod("db", Spec(HookPhase::kPre, "sh", "freeze"),
                         Spec(HookPhase::kPost, "sh", "thaw"))},
                    {{0}});
  REQUIRE(runner.BeforeVolume(0).ok());
  runner.StartAttempt();  // the first attempt failed mid-volume
  REQUIRE(runner.BeforeVolume(0).ok());
  REQUIRE(runner.AfterVolume(0).ok());
  runner.Finish();
  CHECK(exec.log == std::vector<std::string>{"shop/db@app freeze", "shop/db@app thaw",
                                             "shop/db@app freeze", "shop/db@app thaw"});
}

}  // namespace
}  // namespace cairn::volumes
