// Remote: the shape of every admin-API command of cairnctl -- connect with
// the remote flags (or CAIRN_* environment), run one function against the
// AdminClient, print its JSON with --json or a human table otherwise -- and
// the small readers those tables use, tolerant of a field the reply lacks
// (an older appliance prints blanks, not a crash).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "appliance/ctl/cli_common.h"

namespace cairn::ctl {

inline void Remote(CLI::App* cmd, CommandRegistry& reg, const Environment& env,
                   std::function<Result<nlohmann::json>(AdminClient&)> fn,
                   std::function<void(const nlohmann::json&)> print) {
  auto flags = std::make_shared<RemoteFlags>();
  auto as_json = std::make_shared<bool>(false);
  AddRemoteFlags(cmd, *flags, env.remote);
  cmd->add_flag("--json", *as_json, "print the API's JSON");
  cmd->callback([&reg, flags, as_json, fn, print] {
    reg.runner = [flags, as_json, fn, print] {
      auto client = AdminClient::Connect(*flags);
      if (!client.ok()) return Fail(client.error());
      auto out = fn(**client);
      if (!out.ok()) return Fail(out.error());
      if (*as_json) {
        std::printf("%s\n", out->dump(2).c_str());
      } else {
        print(*out);
      }
      return 0;
    };
  });
}

inline std::string Str(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}
inline std::uint64_t Num(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_number_unsigned() ? j[key].get<std::uint64_t>() : 0;
}
inline std::int64_t Int(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_number_integer() ? j[key].get<std::int64_t>() : 0;
}
inline double Real(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0.0;
}
inline bool Flag(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_boolean() && j[key].get<bool>();
}
// The array under `key`, or an empty one.
inline const nlohmann::json& List(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  return j.is_object() && j.contains(key) && j[key].is_array() ? j[key] : kEmpty;
}

}  // namespace cairn::ctl
