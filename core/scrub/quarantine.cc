#include "core/scrub/quarantine.h"

namespace cairn {

Result<std::string> MoveChunkToQuarantine(Store& store, const ChunkId& id,
                                          std::int64_t now_unix_ns) {
  FileSystem& fs = store.fs();
  const fs::path from = store.ChunkPath(id);
  CAIRN_ASSIGN_OR_RETURN(bool present, fs.Exists(from));
  if (!present) return std::string();
  const fs::path dir = store.dir() / kQuarantineDir;
  CAIRN_ASSIGN_OR_RETURN(bool dir_exists, fs.Exists(dir));
  if (!dir_exists) {
    CAIRN_RETURN_IF_ERROR(fs.CreateDirectories(dir));
    CAIRN_RETURN_IF_ERROR(fs.SyncDirectory(store.dir()));
  }
  const fs::path to = dir / (id.Hex() + "." + std::to_string(now_unix_ns / 1'000'000'000));
  Status s = fs.Rename(from, to);
  if (!s.ok()) return s.WithContext("quarantine chunk " + id.Hex());
  // Durable before the caller records the quarantine in the catalog, so a
  // crash cannot leave a row describing a move the filesystem undid.
  CAIRN_RETURN_IF_ERROR(fs.SyncDirectory(dir));
  CAIRN_RETURN_IF_ERROR(fs.SyncDirectory(from.parent_path()));
  return to.string();
}

}  // namespace cairn
