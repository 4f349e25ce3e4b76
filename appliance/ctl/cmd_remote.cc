// cairnctl remote-only commands (admin API): status, clusters, agent
// list|revoke, token create, audit, api-token create|list|revoke,
// schedule set|list|remove.
#include <cstdio>

#include "appliance/ctl/cli_common.h"
#include "appliance/ctl/remote_command.h"
#include "core/cli/human.h"

namespace cairn::ctl {

using json = nlohmann::json;

void RegisterScheduleCommands(CLI::App& app, CommandRegistry& reg, const Environment& env);

void RegisterRemoteCommands(CLI::App& app, CommandRegistry& reg, const Environment& env) {
  Remote(app.add_subcommand("status", "appliance status (remote)"), reg, env,
         [](AdminClient& c) { return c.Get("/v1/status"); },
         [](const json& j) {
           std::printf("store          %s\n", Str(j, "store_id").c_str());
           std::printf("snapshots      %llu\n", static_cast<unsigned long long>(Num(j, "snapshots")));
           std::printf("unique data    %s, stored %s\n", HumanBytes(Num(j, "bytes_unique")).c_str(),
                       HumanBytes(Num(j, "bytes_stored")).c_str());
           std::printf("clusters       %llu, agents %llu\n",
                       static_cast<unsigned long long>(Num(j, "clusters")),
                       static_cast<unsigned long long>(Num(j, "agents")));
           std::printf("CA sha256      %s\n", Str(j, "ca_sha256").c_str());
           std::printf("uptime         %llu s\n",
                       static_cast<unsigned long long>(Int(j, "uptime_seconds")));
         });

  Remote(app.add_subcommand("clusters", "clusters known to the appliance (remote)"), reg, env,
         [](AdminClient& c) { return c.Get("/v1/clusters"); },
         [](const json& j) {
           std::printf("%-24s  %6s  %9s  %11s  %11s\n", "CLUSTER", "AGENTS", "SNAPSHOTS", "SIZE",
                       "STORED");
           for (const auto& c : List(j, "clusters")) {
             std::printf("%-24s  %6llu  %9llu  %11s  %11s\n", Str(c, "name").c_str(),
                         static_cast<unsigned long long>(Num(c, "agents")),
                         static_cast<unsigned long long>(Num(c, "snapshots")),
                         HumanBytes(Num(c, "bytes")).c_str(),
                         HumanBytes(Num(c, "bytes_stored")).c_str());
           }
         });

  CLI::App* agent = app.add_subcommand("agent", "enrolled agents (remote)");
  agent->require_subcommand(1);
  auto cluster = std::make_shared<std::string>();
  CLI::App* agent_list = agent->add_subcommand("list", "list agents");
  agent_list->add_option("--cluster", *cluster, "only this cluster");
  Remote(agent_list, reg, env,
         [cluster](AdminClient& c) {
           return c.Get("/v1/agents" + (cluster->empty() ? "" : "?cluster=" + *cluster));
         },
         [](const json& j) {
           std::printf("%-20s  %-20s  %-8s  %s\n", "AGENT", "CLUSTER", "STATE", "CERT SERIAL");
           for (const auto& a : List(j, "agents")) {
             std::printf("%-20s  %-20s  %-8s  %s\n", Str(a, "id").c_str(),
                         Str(a, "cluster").c_str(), Flag(a, "revoked") ? "revoked" : "active",
                         Str(a, "cert_serial").c_str());
           }
         });
  auto agent_id = std::make_shared<std::string>();
  CLI::App* revoke = agent->add_subcommand("revoke", "revoke an agent's certificate at once");
  revoke->add_option("id", *agent_id, "agent id")->required();
  Remote(revoke, reg, env,
         [agent_id](AdminClient& c) { return c.Post("/v1/agents/" + *agent_id + "/revoke", json::object()); },
         [](const json& j) { std::printf("revoked agent %s\n", Str(j, "revoked").c_str()); });

  CLI::App* token = app.add_subcommand("token", "enrollment tokens (remote)");
  token->require_subcommand(1);
  auto token_cluster = std::make_shared<std::string>();
  auto ttl = std::make_shared<std::string>();
  CLI::App* create = token->add_subcommand("create", "a one-time token for one cluster");
  create->add_option("--cluster", *token_cluster, "cluster the agent will belong to")->required();
  create->add_option("--ttl", *ttl, "lifetime, e.g. 30m, 24h, 7d (default: the appliance's)");
  Remote(create, reg, env,
         [token_cluster, ttl](AdminClient& c) {
           json body{{"cluster", *token_cluster}};
           if (!ttl->empty()) body["ttl"] = *ttl;
           return c.Post("/v1/tokens", body);
         },
         [](const json& j) {
           // The token is the last line: scripts take it with `tail -1`.
           std::fprintf(stderr, "token for cluster %s, single use, expires at unix %lld s\n",
                        Str(j, "cluster").c_str(),
                        static_cast<long long>(Int(j, "expires_unix_ns") / 1000000000));
           std::printf("%s\n", Str(j, "token").c_str());
         });

  auto after = std::make_shared<long long>(0);
  auto limit = std::make_shared<int>(100);
  CLI::App* audit = app.add_subcommand("audit", "the appliance's audit log (remote)");
  audit->add_option("--after", *after, "entries after this sequence number");
  audit->add_option("--limit", *limit, "at most this many entries (max 1000)");
  Remote(audit, reg, env,
         [after, limit](AdminClient& c) {
           return c.Get("/v1/audit?after=" + std::to_string(*after) + "&limit=" + std::to_string(*limit));
         },
         [](const json& j) {
           for (const auto& e : List(j, "entries")) {
             std::printf("%6lld  %s  %-8s %-28s %-40s %s\n", static_cast<long long>(Int(e, "seq")),
                         HumanTime(Int(e, "at_unix_ns")).c_str(), Str(e, "outcome").c_str(),
                         Str(e, "action").c_str(), Str(e, "target").c_str(), Str(e, "actor").c_str());
           }
         });

  CLI::App* api = app.add_subcommand("api-token", "admin API tokens (remote)");
  api->require_subcommand(1);
  auto name = std::make_shared<std::string>();
  auto role = std::make_shared<std::string>();
  CLI::App* api_create = api->add_subcommand("create", "a new API token, shown once");
  api_create->add_option("--name", *name, "what the token is for")->required();
  api_create->add_option("--role", *role, "admin, operator or auditor")->required();
  Remote(api_create, reg, env,
         [name, role](AdminClient& c) { return c.Post("/v1/api-tokens", {{"name", *name}, {"role", *role}}); },
         [](const json& j) {
           std::fprintf(stderr, "API token %s (%s), shown once:\n", Str(j, "id").c_str(),
                        Str(j, "role").c_str());
           std::printf("%s\n", Str(j, "token").c_str());
         });
  Remote(api->add_subcommand("list", "list API tokens"), reg, env,
         [](AdminClient& c) { return c.Get("/v1/api-tokens"); },
         [](const json& j) {
           for (const auto& t : List(j, "api_tokens")) {
             std::printf("%s  %-9s %-8s %s\n", Str(t, "id").c_str(), Str(t, "role").c_str(),
                         Flag(t, "revoked") ? "revoked" : "active", Str(t, "name").c_str());
           }
         });
  auto api_id = std::make_shared<std::string>();
  CLI::App* api_revoke = api->add_subcommand("revoke", "revoke an API token");
  api_revoke->add_option("id", *api_id, "token id")->required();
  Remote(api_revoke, reg, env,
         [api_id](AdminClient& c) { return c.Post("/v1/api-tokens/" + *api_id + "/revoke", json::object()); },
         [](const json& j) { std::printf("revoked API token %s\n", Str(j, "revoked").c_str()); });

  RegisterScheduleCommands(app, reg, env);
}

// cairnctl schedule set|list|remove: backup schedules the agents of a
// cluster fetch and run (docs/api.md). Cluster and schedule names are
// DNS labels and snapshot names, so they go into the path as they are.
void RegisterScheduleCommands(CLI::App& app, CommandRegistry& reg, const Environment& env) {
  CLI::App* schedule = app.add_subcommand("schedule", "backup schedules of a cluster (remote)");
  schedule->require_subcommand(1);
  struct Opts {
    std::string cluster, name, cron, kind;
    std::vector<std::string> options;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* set = schedule->add_subcommand("set", "create or replace a schedule");
  set->add_option("--cluster", o->cluster, "the cluster whose agents run it")->required();
  set->add_option("--name", o->name, "schedule name, unique per cluster (A-Z a-z 0-9 . _ -)")
      ->required();
  set->add_option("--cron", o->cron,
                  "when, in UTC: \"min hour dom month dow\", a leading seconds field, or "
                  "@hourly/@daily/...")
      ->required();
  set->add_option("--kind", o->kind, "resources, volumes or directory")->required();
  set->add_option("--option", o->options,
                  "KEY=VALUE (repeatable): path=/data, snapshot_name=N, selector=app=web; list "
                  "options (include_namespaces, ...) take comma-separated values");
  Remote(set, reg, env,
         [o](AdminClient& c) -> Result<json> {
           json options = json::object();
           for (const std::string& kv : o->options) {
             const auto eq = kv.find('=');
             if (eq == std::string::npos || eq == 0) {
               return Status::InvalidArgument("--option " + kv + ": expected KEY=VALUE");
             }
             const std::string key = kv.substr(0, eq), value = kv.substr(eq + 1);
             if (key.ends_with("_namespaces") || key.ends_with("_resources")) {
               json list = json::array();
               for (std::size_t at = 0; at <= value.size();) {
                 std::size_t comma = value.find(',', at);
                 if (comma == std::string::npos) comma = value.size();
                 if (comma > at) list.push_back(value.substr(at, comma - at));
                 at = comma + 1;
               }
               options[key] = list;
             } else {
               options[key] = value;
             }
           }
           return c.Call("PUT", "/v1/clusters/" + o->cluster + "/schedules/" + o->name,
                         {{"cron", o->cron}, {"kind", o->kind}, {"options", options}});
         },
         [](const json& j) {
           std::printf("schedule %s of cluster %s: %s, kind %s\n", Str(j, "name").c_str(),
                       Str(j, "cluster").c_str(), Str(j, "cron").c_str(), Str(j, "kind").c_str());
         });

  auto list_cluster = std::make_shared<std::string>();
  CLI::App* list = schedule->add_subcommand("list", "list schedules");
  list->add_option("--cluster", *list_cluster, "only this cluster (default: every cluster)");
  Remote(list, reg, env,
         [list_cluster](AdminClient& c) -> Result<json> {
           std::vector<std::string> clusters;
           if (!list_cluster->empty()) {
             clusters.push_back(*list_cluster);
           } else {
             CAIRN_ASSIGN_OR_RETURN(json all, c.Get("/v1/clusters"));
             for (const auto& cl : List(all, "clusters")) clusters.push_back(Str(cl, "name"));
           }
           json out = json::array();
           for (const std::string& name : clusters) {
             CAIRN_ASSIGN_OR_RETURN(json one, c.Get("/v1/clusters/" + name + "/schedules"));
             for (const auto& s : List(one, "schedules")) out.push_back(s);
           }
           return json{{"schedules", out}};
         },
         [](const json& j) {
           std::printf("%-20s  %-24s  %-20s  %-10s  %s\n", "CLUSTER", "NAME", "CRON (UTC)", "KIND",
                       "OPTIONS");
           for (const auto& s : List(j, "schedules")) {
             const std::string options =
                 s.contains("options") ? s["options"].dump(-1, ' ', false,
                                                           json::error_handler_t::replace)
                                       : "{}";
             std::printf("%-20s  %-24s  %-20s  %-10s  %s\n", Str(s, "cluster").c_str(),
                         Str(s, "name").c_str(), Str(s, "cron").c_str(), Str(s, "kind").c_str(),
                         options.c_str());
           }
         });

  auto rm = std::make_shared<Opts>();
  CLI::App* remove = schedule->add_subcommand("remove", "remove a schedule");
  remove->add_option("--cluster", rm->cluster, "its cluster")->required();
  remove->add_option("--name", rm->name, "its name")->required();
  Remote(remove, reg, env,
         [rm](AdminClient& c) {
           return c.Call("DELETE", "/v1/clusters/" + rm->cluster + "/schedules/" + rm->name);
         },
         [](const json& j) {
           std::printf("removed schedule %s of cluster %s\n", Str(j, "removed").c_str(),
                       Str(j, "cluster").c_str());
         });
}

}  // namespace cairn::ctl
