// Fuzz target: the agent's configuration (agent/agent_config.h): the TOML
// file of `cairn-agent run` (toml++), and the schedules the appliance sends
// as JSON (GET /v1/agent/schedules -> ScheduleFromJson), both of which end
// in the cron parser (core/schedule/cron_expression.h).
//
// The input is tried as TOML and, when it is JSON, as one schedule and as a
// list of them.
// Oracles: refusals are InvalidArgument; an accepted config's paths are
// absolute; every accepted schedule's cron expression parses and fires
// (Next() finds a time after a fixed instant, and that time Matches) -- the
// parser promises to refuse expressions that never fire; a schedule
// survives ScheduleToJson -> ScheduleFromJson unchanged.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "agent/agent_config.h"
#include "core/schedule/cron_expression.h"
#include "tests/fuzz/fuzz_support.h"

namespace cairn {
namespace {

constexpr std::int64_t kSomeInstant = 1767225600;  // 2026-01-01T00:00:00Z

void CheckSchedule(const ScheduleConfig& s) {
  auto cron = CronExpression::Parse(s.cron);
  CAIRN_FUZZ_CHECK(cron.ok(), "accepted cron does not parse: " + s.cron);
  auto next = cron->Next(kSomeInstant);
  CAIRN_FUZZ_CHECK(next.ok(), "accepted cron never fires: " + s.cron);
  CAIRN_FUZZ_CHECK(*next > kSomeInstant && cron->Matches(*next),
                   "Next() of '" + s.cron + "' is not a later fire time");
  auto again = ScheduleFromJson(ScheduleToJson(s));
  CAIRN_FUZZ_CHECK(again.ok(), "schedule does not survive JSON: " + again.error().ToString());
  ScheduleConfig expected = s;
  expected.origin = again->origin;
  CAIRN_FUZZ_CHECK(*again == expected, "schedule changes in its JSON round trip: " + s.name);
}

void Toml(std::string_view text) {
  auto config = ParseAgentConfig(text, "/etc/cairn", "agent.toml");
  fuzz::Debug("agent config", config.status());
  if (!config.ok()) {
    CAIRN_FUZZ_CHECK(config.error().IsInvalidArgument(), config.error().ToString());
    return;
  }
  for (const std::filesystem::path* p : {&config->state_dir, &config->kubelet_dir}) {
    CAIRN_FUZZ_CHECK(p->is_absolute(), "path not absolute: " + p->string());
  }
  for (const std::filesystem::path* p : {&config->kubeconfig, &config->token_file}) {
    CAIRN_FUZZ_CHECK(p->empty() || p->is_absolute(), "path not absolute: " + p->string());
  }
  for (const ScheduleConfig& s : config->schedules) CheckSchedule(s);
}

void Json(std::string_view text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return;
  const nlohmann::json list = j.is_array() ? j : nlohmann::json::array({j});
  for (const nlohmann::json& item : list) {
    auto s = ScheduleFromJson(item);
    fuzz::Debug("schedule", s.status());
    if (!s.ok()) {
      CAIRN_FUZZ_CHECK(s.error().IsInvalidArgument(), s.error().ToString());
      continue;
    }
    CheckSchedule(*s);
  }
}

}  // namespace
}  // namespace cairn

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = cairn::fuzz::AsText(data, size);
  cairn::Toml(text);
  cairn::Json(text);
  return 0;
}
