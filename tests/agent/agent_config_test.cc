#include "agent/agent_config.h"

#include <catch2/catch.hpp>
#include <string>

namespace cairn {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// configs/ in the source tree, found from this file's path (tests/agent/).
fs::path ConfigsDir() {
  return (fs::path(CAIRN_SOURCE_DIR) / "configs").lexically_normal();
}

Result<AgentConfig> Parse(const std::string& text) {
  return ParseAgentConfig(text, "/etc/cairn", "agent.toml");
}

// The refusal of `text`, which must fail with InvalidArgument.
std::string ErrorOf(const std::string& text) {
  auto c = Parse(text);
  INFO(text);
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().IsInvalidArgument());
  return c.error().message();
}

bool Has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST_CASE("AgentConfig: configs/agent.toml loads with its documented values", "[unit]") {
  auto c = LoadAgentConfig(ConfigsDir() / "agent.toml");
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  const AgentConfig defaults;
  CHECK(c->state_dir == defaults.state_dir);
  CHECK(c->node_name == defaults.node_name);
  CHECK(c->kubelet_dir == defaults.kubelet_dir);
  CHECK(c->kubeconfig.empty());
  CHECK(c->context.empty());
  CHECK(c->appliance_url == "https://cairn-appliance.example:8443");
  CHECK(c->token_file == "/etc/cairn/enrollment/token");
  CHECK(c->cluster.empty());
  CHECK(c->retry_initial_seconds == defaults.retry_initial_seconds);
  CHECK(c->retry_max_seconds == defaults.retry_max_seconds);
  CHECK(c->refresh_seconds == defaults.refresh_seconds);
  REQUIRE(c->schedules.size() == 3);
  const ScheduleConfig& res = c->schedules[0];
  CHECK(res.name == "resources");
  CHECK(res.kind == JobKind::kResources);
  CHECK(res.cron == "0 * * * *");
  CHECK(res.snapshot_name == "resources");
  CHECK(res.resources.exclude_namespaces == std::vector<std::string>{"kube-node-lease"});
  CHECK(res.origin == "config");
  CHECK(c->schedules[1].kind == JobKind::kVolumes);
  CHECK(c->schedules[1].snapshot_name.empty());  // volumes-<node>, per node
  const ScheduleConfig& etc = c->schedules[2];
  CHECK(etc.kind == JobKind::kDirectory);
  CHECK(etc.directory.path == "/etc/cairn");
  CHECK(etc.snapshot_name == "host-etc");
  // An empty file is the defaults, no schedules.
  auto empty = Parse("");
  REQUIRE(empty.ok());
  CHECK(*empty == AgentConfig{});
}

TEST_CASE("AgentConfig: relative paths resolve against the config file's directory", "[unit]") {
  auto c = Parse("[agent]\nstate_dir = \"state\"\n[kubernetes]\nkubeconfig = \"kube/config\"\n"
                 "[enrollment]\nappliance = \"https://a:1\"\ntoken_file = \"../token\"\n");
  REQUIRE(c.ok());
  CHECK(c->state_dir == "/etc/cairn/state");
  CHECK(c->kubeconfig == "/etc/cairn/kube/config");
  CHECK(c->token_file == "/etc/token");
}

TEST_CASE("AgentConfig: each bad field is refused with its key named", "[unit]") {
  struct Row {
    std::string toml;
    std::string expect;  // in the message
  };
  const std::string ok_head = "[[schedule]]\nname = \"a\"\n";
  const std::vector<Row> rows = {
      {"[agnet]\n", "agnet: unknown section"},
      {"[agent]\nstate_dir = 3\n", "agent.state_dir: expected a string"},
      {"[agent]\nstate_dir = \"\"\n", "agent.state_dir: must not be empty"},
      {"[agent]\nnode = \"n1\"\n", "agent.node: unknown key"},
      {"[kubernetes]\ncontext = true\n", "kubernetes.context: expected a string"},
      {"[enrollment]\nappliance = \"http://x\"\n", "enrollment.appliance"},
      {"[enrollment]\ntoken_file = \"t\"\n", "enrollment.token_file: needs enrollment.appliance"},
      {"[run]\nretry_initial_seconds = 0\n", "run.retry_initial_seconds: 0 is out of range"},
      {"[run]\nretry_initial_seconds = 60\nretry_max_seconds = 30\n", "run.retry_max_seconds"},
      {"[run]\nrefresh_seconds = \"60\"\n", "run.refresh_seconds: expected an integer"},
      {"schedule = 3\n", "schedule: expected [[schedule]] tables"},
      {"[[schedule]]\ncron = \"@daily\"\nkind = \"volumes\"\n", "schedule[0].name: missing"},
      {"[[schedule]]\nname = \"a b\"\ncron = \"@daily\"\nkind = \"volumes\"\n", "schedule[0].name"},
      {ok_head + "kind = \"volumes\"\n", "schedule[0] \"a\".cron: missing"},
      {ok_head + "cron = \"0 25 * * *\"\nkind = \"volumes\"\n", "schedule[0] \"a\".cron: cron"},
      {ok_head + "cron = \"@daily\"\n", "schedule[0] \"a\".kind: missing"},
      {ok_head + "cron = \"@daily\"\nkind = \"pods\"\n", "\"a\".kind: unknown kind"},
      {ok_head + "cron = \"@daily\"\nkind = \"directory\"\n", "\"a\".path: missing"},
      {ok_head + "cron = \"@daily\"\nkind = \"directory\"\npath = \"rel\"\n",
       "\"a\".path: \"rel\" must be an absolute path"},
      {ok_head + "cron = \"@daily\"\nkind = \"volumes\"\npath = \"/x\"\n",
       "\"a\".path: not an option of kind volumes"},
      {ok_head + "cron = \"@daily\"\nkind = \"resources\"\ninclude_namespaces = \"web\"\n",
       "\"a\".include_namespaces: expected an array of strings"},
      {ok_head + "cron = \"@daily\"\nkind = \"resources\"\nselector = 3\n",
       "schedule[0].selector: expected a string or an array"},
      {ok_head + "cron = \"@daily\"\nkind = \"resources\"\nsnapshot_name = \"../x\"\n",
       "\"a\".snapshot_name"},
      {ok_head + "cron = \"@daily\"\nkind = \"volumes\"\n" + ok_head +
           "cron = \"@daily\"\nkind = \"volumes\"\n",
       "schedule[1] \"a\".name: a second schedule"},
      {"[agent\n", "agent.toml:1:"},
  };
  for (const Row& row : rows) {
    const std::string e = ErrorOf(row.toml);
    INFO(row.toml << "\n-> " << e);
    CHECK(Has(e, row.expect));
    CHECK(Has(e, "agent.toml"));
  }
}

TEST_CASE("AgentConfig: an appliance schedule reads back the same through JSON", "[unit]") {
  auto c = Parse(
      "[[schedule]]\nname = \"web\"\ncron = \"*/5 * * * *\"\nkind = \"resources\"\n"
      "include_namespaces = [\"web\", \"db\"]\nselector = \"app=web\"\n");
  REQUIRE(c.ok());
  ScheduleConfig s = c->schedules[0];
  const json j = ScheduleToJson(s);
  CHECK(j["options"] == json{{"include_namespaces", {"web", "db"}}, {"selector", "app=web"}});
  auto back = ScheduleFromJson(j);
  REQUIRE(back.ok());
  CHECK(back->origin == "appliance");
  s.origin = "appliance";
  CHECK(*back == s);
  // The same checks apply to what the appliance sends.
  json bad = j;
  bad["options"]["path"] = "/x";
  CHECK(Has(ScheduleFromJson(bad).error().message(), "not an option of kind resources"));
  bad = j;
  bad["cron"] = "* * *";
  CHECK(Has(ScheduleFromJson(bad).error().message(), "schedule \"web\""));
  CHECK_FALSE(ScheduleFromJson(json{{"name", "x"}}).ok());
  CHECK_FALSE(ScheduleFromJson(json::array()).ok());
}

}  // namespace
}  // namespace cairn
