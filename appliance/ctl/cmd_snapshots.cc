// cairnctl snapshots: the snapshots of a store, as a table or --json.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "appliance/ctl/cli_common.h"
#include "core/cli/human.h"
#include "core/protocol/snapshot_json.h"

namespace cairn::ctl {
namespace {

Result<std::vector<SnapshotRecord>> ListLocalSnapshots(const StoreFlags& flags,
                                                       const Environment& env,
                                                       const std::optional<std::string>& name) {
  CAIRN_ASSIGN_OR_RETURN(auto store, OpenStore(flags, env));
  return store->catalog().ListSnapshots(name);
}

Result<std::vector<SnapshotRecord>> ListRemoteSnapshots(const RemoteFlags& flags,
                                                        const std::optional<std::string>& name,
                                                        const std::string& cluster) {
  CAIRN_ASSIGN_OR_RETURN(auto client, AdminClient::Connect(flags));
  std::string target = "/v1/snapshots?";
  if (name) target += "name=" + *name + "&";
  if (!cluster.empty()) target += "cluster=" + cluster;
  CAIRN_ASSIGN_OR_RETURN(nlohmann::json j, client->Get(target));
  std::vector<SnapshotRecord> out;
  if (!j.contains("snapshots") || !j["snapshots"].is_array()) {
    return Status::InvalidArgument("the appliance's snapshot list is malformed");
  }
  for (const auto& s : j["snapshots"]) {
    CAIRN_ASSIGN_OR_RETURN(SnapshotRecord r, SnapshotRecordFromJson(s));
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

void RegisterSnapshotsCommand(CLI::App& app, CommandRegistry& reg, const Environment& env) {
  CLI::App* cmd = app.add_subcommand("snapshots", "list snapshots");
  struct Flags {
    StoreFlags store;
    RemoteFlags remote;
    std::string name, cluster;
    bool json = false;
  };
  auto flags = std::make_shared<Flags>();
  AddStoreFlags(cmd, flags->store, env);
  AddRemoteFlags(cmd, flags->remote, env.remote, /*required=*/false);
  cmd->add_option("--name", flags->name, "only snapshots of this name");
  cmd->add_option("--cluster", flags->cluster, "remote: only snapshots of this cluster");
  cmd->add_flag("--json", flags->json, "machine-readable output");
  cmd->callback([&reg, flags, &env] {
    reg.runner = [flags, &env] {
      std::optional<std::string> name;
      if (!flags->name.empty()) name = flags->name;
      auto list = UseRemote(flags->store, flags->remote)
                      ? ListRemoteSnapshots(flags->remote, name, flags->cluster)
                      : ListLocalSnapshots(flags->store, env, name);
      if (!list.ok()) return Fail(list.error());
      if (flags->json) {
        nlohmann::json out = nlohmann::json::array();
        for (const SnapshotRecord& s : *list) {
          out.push_back(SnapshotRecordToJson(s));
        }
        std::printf("%s\n", out.dump(2).c_str());
        return 0;
      }
      std::printf("%-16s  %-20s  %-12s  %-19s  %9s  %11s  %11s  %7s\n", "ID", "NAME", "CLUSTER",
                  "TIME (UTC)", "FILES", "SIZE", "STORED", "DEDUP");
      for (const SnapshotRecord& s : *list) {
        // DEDUP: logical size per byte this snapshot added to the store.
        std::printf("%-16s  %-20s  %-12s  %-19s  %9llu  %11s  %11s  %7s\n", s.id.c_str(),
                    s.name.c_str(), s.cluster.empty() ? "-" : s.cluster.c_str(),
                    HumanTime(s.created_unix_ns).c_str(),
                    static_cast<unsigned long long>(s.file_count), HumanBytes(s.bytes_read).c_str(),
                    HumanBytes(s.bytes_stored).c_str(),
                    Ratio(static_cast<double>(s.bytes_read), static_cast<double>(s.bytes_stored)).c_str());
      }
      std::printf("%zu snapshot(s)\n", list->size());
      return 0;
    };
  });
}

}  // namespace cairn::ctl
