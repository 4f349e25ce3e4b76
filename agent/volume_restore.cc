#include "agent/volume_restore.h"

#include <algorithm>

#include "agent/appliance_client.h"
#include "agent/remote_chunk_fetcher.h"
#include "core/base/log.h"

namespace cairn {

using volumes::PvcRef;

VolumeDestination TargetDirDestination(std::filesystem::path dir) {
  return [dir = std::move(dir)](const PvcRef& pvc) -> Result<std::filesystem::path> {
    return dir / pvc.ns / pvc.name;
  };
}

Result<VolumeRestoreResult> RunVolumeRestore(const AgentState& state,
                                             const VolumeRestoreOptions& options,
                                             const VolumeDestination& destination,
                                             JobProgress* progress) {
  std::vector<PvcRef> selected;
  for (const std::string& text : options.pvcs) {
    CAIRN_ASSIGN_OR_RETURN(PvcRef ref, volumes::ParsePvcRef(text));
    selected.push_back(std::move(ref));
  }
  CAIRN_ASSIGN_OR_RETURN(auto client, ApplianceClient::Connect(state));
  CAIRN_ASSIGN_OR_RETURN(
      Manifest manifest,
      client->GetManifest(options.snapshot, options.name.empty()
                                                ? std::nullopt
                                                : std::optional<std::string>(options.name)));
  client.reset();
  const std::vector<PvcRef> present = volumes::ListSnapshotVolumes(manifest);
  if (present.empty()) {
    return Status::NotFound("snapshot " + manifest.snapshot_id + " (" + manifest.name +
                            ") holds no volume data; pick a snapshot made by backup-volumes");
  }
  if (selected.empty()) selected = present;
  for (const PvcRef& ref : selected) {
    if (std::find(present.begin(), present.end(), ref) == present.end()) {
      std::string list;
      for (const PvcRef& p : present) list += (list.empty() ? "" : ", ") + p.ToString();
      return Status::NotFound("snapshot " + manifest.snapshot_id + " holds no volume " +
                              ref.ToString() + " (it holds: " + list + ")");
    }
  }
  // Every destination is resolved before anything is written, so a PVC that
  // is not mounted here stops the restore before it starts.
  std::vector<std::filesystem::path> where;
  for (const PvcRef& ref : selected) {
    CAIRN_ASSIGN_OR_RETURN(std::filesystem::path path, destination(ref));
    where.push_back(std::move(path));
  }

  VolumeRestoreResult out;
  out.snapshot_id = manifest.snapshot_id;
  RestoreRequest request;
  request.snapshot = manifest.snapshot_id;
  request.threads = options.threads;
  request.progress = progress;
  for (std::size_t i = 0; i < selected.size(); ++i) {
    const PvcRef& ref = selected[i];
    Manifest one = volumes::VolumeManifest(manifest, ref);
    CAIRN_ASSIGN_OR_RETURN(auto sink, TreeRestorer::Create(where[i], options.restore));
    std::vector<std::unique_ptr<ChunkFetcher>> fetchers;
    for (int t = 0; t < RestoreThreads(request); ++t) {
      CAIRN_ASSIGN_OR_RETURN(auto c, ApplianceClient::Connect(state));
      fetchers.push_back(
          std::make_unique<RemoteChunkFetcher>(std::move(c), manifest.snapshot_id, state.dedup));
    }
    Log(LogLevel::kInfo, "volume_restore",
        {{"pvc", ref.ToString()}, {"entries", one.entries.size()}, {"to", where[i].string()}});
    auto result = RestoreManifest(one, std::move(fetchers), request, *sink);
    if (!result.ok()) return result.error().WithContext("restore volume " + ref.ToString());
    for (const std::string& e : result->errors) out.errors.push_back(ref.ToString() + ": " + e);
    out.volumes.push_back(VolumeRestoreItem{ref, sink->target(), std::move(*result)});
  }
  return out;
}

}  // namespace cairn
