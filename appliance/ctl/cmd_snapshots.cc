// cairnctl snapshots: the snapshots of a store, as a table or --json.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "appliance/ctl/cli_common.h"
#include "core/cli/human.h"
#include "core/protocol/snapshot_json.h"

namespace cairn::ctl {

void RegisterSnapshotsCommand(CLI::App& app, CommandRegistry& reg, const Environment& env) {
  CLI::App* cmd = app.add_subcommand("snapshots", "list snapshots");
  struct Flags {
    StoreFlags store;
    std::string name;
    bool json = false;
  };
  auto flags = std::make_shared<Flags>();
  AddStoreFlags(cmd, flags->store, env);
  cmd->add_option("--name", flags->name, "only snapshots of this name");
  cmd->add_flag("--json", flags->json, "machine-readable output");
  cmd->callback([&reg, flags, &env] {
    reg.runner = [flags, &env] {
      auto store = OpenStore(flags->store, env);
      if (!store.ok()) return Fail(store.error());
      std::optional<std::string> name;
      if (!flags->name.empty()) name = flags->name;
      auto list = (*store)->catalog().ListSnapshots(name);
      if (!list.ok()) return Fail(list.error());
      if (flags->json) {
        nlohmann::json out = nlohmann::json::array();
        for (const SnapshotRecord& s : *list) {
          out.push_back(SnapshotRecordToJson(s));
        }
        std::printf("%s\n", out.dump(2).c_str());
        return 0;
      }
      std::printf("%-16s  %-20s  %-19s  %9s  %11s  %11s\n", "ID", "NAME", "TIME (UTC)", "FILES",
                  "SIZE", "NEW");
      for (const SnapshotRecord& s : *list) {
        std::printf("%-16s  %-20s  %-19s  %9llu  %11s  %11s\n", s.id.c_str(), s.name.c_str(),
                    HumanTime(s.created_unix_ns).c_str(),
                    static_cast<unsigned long long>(s.file_count), HumanBytes(s.bytes_read).c_str(),
                    HumanBytes(s.bytes_new).c_str());
      }
      std::printf("%zu snapshot(s)\n", list->size());
      return 0;
    };
  });
}

}  // namespace cairn::ctl
