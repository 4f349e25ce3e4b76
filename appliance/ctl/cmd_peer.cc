// cairnctl peer token create|list|revoke (remote mode, admin API): which
// other appliances may replicate INTO this one (docs/api.md "Replication
// peers"). The sending appliance pairs with the token once (its `cairnctl
// target add --kind appliance`), then pushes over mTLS.
#include <cstdio>

#include "appliance/ctl/cli_common.h"
#include "appliance/ctl/remote_command.h"
#include "core/cli/human.h"

namespace cairn::ctl {

void RegisterPeerCommands(CLI::App& app, CommandRegistry& reg, const Environment& env) {
  using json = nlohmann::json;
  CLI::App* peer = app.add_subcommand("peer", "appliances that replicate into this one (remote)");
  peer->require_subcommand(1);

  CLI::App* token = peer->add_subcommand("token", "pairing tokens");
  token->require_subcommand(1);
  struct TokenOpts {
    std::string name, ttl;
  };
  auto opts = std::make_shared<TokenOpts>();
  CLI::App* create = token->add_subcommand("create", "a one-time token that pairs one peer");
  create->add_option("--name", opts->name, "the peer's name here (a DNS label, e.g. site-a)")
      ->required();
  create->add_option("--ttl", opts->ttl, "lifetime, e.g. 30m, 24h, 7d (default: the appliance's)");
  Remote(
      create, reg, env,
      [opts](AdminClient& c) {
        json body{{"name", opts->name}};
        if (!opts->ttl.empty()) body["ttl"] = opts->ttl;
        return c.Post("/v1/peer-tokens", body);
      },
      [](const json& j) {
        // The token is the last line: scripts take it with `tail -1`.
        std::fprintf(stderr, "pairing token for peer %s, single use, expires %s UTC; pins CA %s\n",
                     Str(j, "name").c_str(), HumanTime(Int(j, "expires_unix_ns")).c_str(),
                     Str(j, "ca_sha256").c_str());
        std::printf("%s\n", Str(j, "token").c_str());
      });

  Remote(
      peer->add_subcommand("list", "list paired peers and what each holds here"), reg, env,
      [](AdminClient& c) { return c.Get("/v1/peers"); },
      [](const json& j) {
        std::printf("%-21s  %-20s  %-8s  %9s  %11s  %-19s  %s\n", "PEER", "NAME", "STATE",
                    "OBJECTS", "HELD", "LAST SEEN", "ITS NAME");
        for (const auto& p : List(j, "peers")) {
          const std::int64_t seen = Int(p, "last_seen_unix_ns");
          std::printf("%-21s  %-20s  %-8s  %9llu  %11s  %-19s  %s\n", Str(p, "id").c_str(),
                      Str(p, "name").c_str(), Flag(p, "revoked") ? "revoked" : "active",
                      static_cast<unsigned long long>(Num(p, "objects_held")),
                      HumanBytes(Num(p, "bytes_held")).c_str(),
                      seen ? HumanTime(seen).c_str() : "never", Str(p, "remote_name").c_str());
        }
      });

  auto id = std::make_shared<std::string>();
  CLI::App* revoke = peer->add_subcommand(
      "revoke", "refuse a peer's certificate at once (what it pushed stays readable)");
  revoke->add_option("id", *id, "peer id (peer-...)")->required();
  Remote(
      revoke, reg, env,
      [id](AdminClient& c) { return c.Post("/v1/peers/" + *id + "/revoke", json::object()); },
      [](const json& j) { std::printf("revoked peer %s\n", Str(j, "revoked").c_str()); });
}

}  // namespace cairn::ctl
