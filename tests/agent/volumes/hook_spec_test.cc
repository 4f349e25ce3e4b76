#include "agent/volumes/hook_spec.h"

#include <catch2/catch.hpp>

namespace cairn::volumes {
namespace {

using std::chrono::milliseconds;
using Annotations = std::map<std::string, std::string>;
const std::vector<std::string> kContainers = {"db", "backup-helper"};

TEST_CASE("Hook annotations: a full pre and post declaration is read with defaults filled in",
          "[unit]") {
  Annotations a = {
      {"pre.hook.backup.cairn.io/command", R"(["/bin/sh","-c","sync; fsfreeze -f /data"])"},
      {"pre.hook.backup.cairn.io/container", "backup-helper"},
      {"pre.hook.backup.cairn.io/timeout", "1m30s"},
      {"pre.hook.backup.cairn.io/on-error", "Continue"},
      {"post.hook.backup.cairn.io/command", R"(["fsfreeze","-u","/data"])"},
      {"app.kubernetes.io/name", "shop"},
  };
  auto hooks = ParsePodHooks(a, kContainers, "shop/db-0");
  INFO(hooks.status().ToString());
  REQUIRE(hooks.ok());
  REQUIRE(hooks->pre);
  CHECK(hooks->pre->phase == HookPhase::kPre);
  CHECK(hooks->pre->command ==
        std::vector<std::string>{"/bin/sh", "-c", "sync; fsfreeze -f /data"});
  CHECK(hooks->pre->container == "backup-helper");
  CHECK(hooks->pre->timeout == milliseconds(90'000));
  CHECK(hooks->pre->on_error == HookOnError::kContinue);
  REQUIRE(hooks->post);
  CHECK(hooks->post->container == "db");  // the first container
  CHECK(hooks->post->timeout == kDefaultHookTimeout);
  CHECK(hooks->post->on_error == HookOnError::kFail);
}

TEST_CASE("Hook annotations: a pod without them has no hooks", "[unit]") {
  auto hooks = ParsePodHooks({{"other", "x"}}, kContainers, "a/b");
  REQUIRE(hooks.ok());
  CHECK(hooks->empty());
}

TEST_CASE("Hook annotations: malformed values are refused naming the pod, the annotation and the fix",
          "[unit]") {
  struct Case {
    Annotations annotations;
    std::string expect;
  };
  const std::string cmd = "pre.hook.backup.cairn.io/command";
  std::vector<Case> cases = {
      {{{cmd, "[\"/bin/sh\", "}}, "is not valid JSON"},
      {{{cmd, "\"/bin/sync\""}}, "must be a non-empty JSON array"},
      {{{cmd, "[]"}}, "must be a non-empty JSON array"},
      {{{cmd, "[\"sync\", 3]"}}, "holds a non-string element"},
      {{{cmd, "[\"\"]"}}, "names an empty program"},
      {{{cmd, "[\"sync\"]"}, {"pre.hook.backup.cairn.io/timeout", "30"}}, "is not a duration"},
      {{{cmd, "[\"sync\"]"}, {"pre.hook.backup.cairn.io/timeout", "-5s"}}, "is not a duration"},
      {{{cmd, "[\"sync\"]"}, {"pre.hook.backup.cairn.io/timeout", "2h"}}, "longer than 1h"},
      {{{cmd, "[\"sync\"]"}, {"pre.hook.backup.cairn.io/timeout", "0s"}}, "must be positive"},
      {{{cmd, "[\"sync\"]"}, {"pre.hook.backup.cairn.io/on-error", "fail"}},
       "write Fail or Continue"},
      {{{cmd, "[\"sync\"]"}, {"pre.hook.backup.cairn.io/container", "nginx"}},
       "which the pod does not have (it has: db, backup-helper)"},
      {{{"post.hook.backup.cairn.io/timeout", "10s"}},
       "is set but post.hook.backup.cairn.io/command is missing"},
  };
  for (const Case& c : cases) {
    auto hooks = ParsePodHooks(c.annotations, kContainers, "shop/db-0");
    INFO(c.expect);
    REQUIRE_FALSE(hooks.ok());
    CHECK(hooks.error().IsInvalidArgument());
    CHECK_THAT(hooks.error().message(), Catch::Contains("pod shop/db-0: annotation"));
    CHECK_THAT(hooks.error().message(), Catch::Contains(c.expect));
  }
}

TEST_CASE("Hook timeouts: Go-style durations", "[unit]") {
  CHECK(*ParseHookTimeout("30s") == milliseconds(30'000));
  CHECK(*ParseHookTimeout("500ms") == milliseconds(500));
  CHECK(*ParseHookTimeout("2m") == milliseconds(120'000));
  CHECK(*ParseHookTimeout("1h") == milliseconds(3'600'000));
  CHECK(*ParseHookTimeout("1.5s") == milliseconds(1500));
  CHECK(*ParseHookTimeout("1m30s") == milliseconds(90'000));
  for (const char* bad : {"", "s", "10", "10x", "1..5s", "ten s", "10s ", "1d"}) {
    INFO(bad);
    CHECK_FALSE(ParseHookTimeout(bad).ok());
  }
}

}  // namespace
}  // namespace cairn::volumes
