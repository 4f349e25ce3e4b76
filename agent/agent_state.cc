#include "agent/agent_state.h"

#include <nlohmann/json.hpp>

#include "core/base/file_system.h"
#include "core/protocol/dedup_params_json.h"

namespace cairn {
namespace {

constexpr std::uint64_t kMaxStateFile = 1 << 20;

Result<std::string> ReadText(FileSystem& fs, const std::filesystem::path& p) {
  CAIRN_ASSIGN_OR_RETURN(Bytes b, ReadWholeFile(fs, p, kMaxStateFile));
  return std::string(b.begin(), b.end());
}


}  // namespace

Status AgentState::SaveNew(const std::filesystem::path& dir) const {
  FileSystem& fs = DefaultFileSystem();
  CAIRN_ASSIGN_OR_RETURN(bool enrolled, fs.Exists(dir / "agent.json"));
  if (enrolled) {
    return Status::AlreadyExists("state directory " + dir.string() +
                                 " already holds an enrollment (agent.json); use another "
                                 "--state-dir, or remove it to enroll again");
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError("create " + dir.string() + ": " + ec.message());
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  nlohmann::json meta{{"version", kVersion},
                      {"appliance", appliance_url},
                      {"agent_id", agent_id},
                      {"cluster", cluster}};
  const std::string dedup_text = DedupParamsToJson(dedup).dump(2) + "\n";
  // Secrets first, agent.json last: its presence means "enrolled".
  CAIRN_RETURN_IF_ERROR(WriteFileAtomically(fs, dir / "agent.key", AsBytes(key_pem), true, 0600));
  CAIRN_RETURN_IF_ERROR(WriteFileAtomically(fs, dir / "dedup.json", AsBytes(dedup_text), true, 0600));
  CAIRN_RETURN_IF_ERROR(WriteFileAtomically(fs, dir / "ca.crt", AsBytes(ca_pem)));
  CAIRN_RETURN_IF_ERROR(WriteFileAtomically(fs, dir / "agent.crt", AsBytes(cert_pem)));
  const std::string meta_text = meta.dump(2) + "\n";
  return WriteFileAtomically(fs, dir / "agent.json", AsBytes(meta_text));
}

Result<AgentState> AgentState::Load(const std::filesystem::path& dir) {
  FileSystem& fs = DefaultFileSystem();
  CAIRN_ASSIGN_OR_RETURN(bool enrolled, fs.Exists(dir / "agent.json"));
  if (!enrolled) {
    return Status::NotFound("no enrollment in " + dir.string() +
                            ": run `cairn-agent enroll --appliance URL --token T --state-dir " +
                            dir.string() + "` first");
  }
  AgentState s;
  CAIRN_ASSIGN_OR_RETURN(std::string meta_text, ReadText(fs, dir / "agent.json"));
  const auto meta = nlohmann::json::parse(meta_text, nullptr, false);
  const std::string where = (dir / "agent.json").string();
  if (!meta.is_object() || !meta.contains("version") || !meta["version"].is_number_integer()) {
    return Status::InvalidArgument(where + " is not a cairn agent state file");
  }
  if (meta["version"].get<int>() != kVersion) {
    return Status::InvalidArgument(where + ": version " + meta["version"].dump() +
                                   " is not supported (this agent knows 1)");
  }
  for (const char* key : {"appliance", "agent_id", "cluster"}) {
    if (!meta.contains(key) || !meta[key].is_string()) {
      return Status::InvalidArgument(where + ": '" + key + "' is missing or not a string");
    }
  }
  s.appliance_url = meta["appliance"].get<std::string>();
  s.agent_id = meta["agent_id"].get<std::string>();
  s.cluster = meta["cluster"].get<std::string>();
  CAIRN_ASSIGN_OR_RETURN(s.ca_pem, ReadText(fs, dir / "ca.crt"));
  CAIRN_ASSIGN_OR_RETURN(s.cert_pem, ReadText(fs, dir / "agent.crt"));
  CAIRN_ASSIGN_OR_RETURN(s.key_pem, ReadText(fs, dir / "agent.key"));
  CAIRN_ASSIGN_OR_RETURN(std::string dedup_text, ReadText(fs, dir / "dedup.json"));
  const auto dedup = nlohmann::json::parse(dedup_text, nullptr, false);
  auto params = DedupParamsFromJson(dedup);
  if (!params.ok()) return params.error().WithContext((dir / "dedup.json").string());
  s.dedup = *params;
  return s;
}

}  // namespace cairn
