#include "core/protocol/snapshot_json.h"

#include "core/base/utc_time.h"
#include "core/tree/json_integer.h"

namespace cairn {

nlohmann::json SnapshotRecordToJson(const SnapshotRecord& s) {
  // Dedup figure a user can act on: how many bytes this snapshot would have
  // cost without deduplication and compression, per byte it really added.
  const double dedup_ratio =
      s.bytes_stored > 0 ? static_cast<double>(s.bytes_read) / static_cast<double>(s.bytes_stored)
                         : 0.0;
  return {{"id", s.id},
          {"name", s.name},
          {"cluster", s.cluster},
          {"created_unix_ns", s.created_unix_ns},
          {"time", FormatUtc(s.created_unix_ns)},
          {"hostname", s.hostname},
          {"source", s.source},
          {"files", s.file_count},
          {"directories", s.dir_count},
          {"bytes", s.bytes_read},
          {"bytes_new", s.bytes_new},
          {"bytes_stored", s.bytes_stored},
          {"chunks", s.chunk_count},
          {"manifest_bytes", s.manifest_bytes},
          {"dedup_ratio", dedup_ratio},
          {"tags", s.tags},
          {"lock_until_unix_ns", s.lock_until_unix_ns},
          {"locked_until", s.lock_until_unix_ns > 0 ? FormatUtc(s.lock_until_unix_ns) : ""}};
}

Result<SnapshotRecord> SnapshotRecordFromJson(const nlohmann::json& j) {
  SnapshotRecord s;
  try {
    s.id = j.at("id").get<std::string>();
    s.name = j.at("name").get<std::string>();
    s.cluster = j.value("cluster", "");
    s.created_unix_ns = JsonInteger<std::int64_t>(j.at("created_unix_ns"));
    s.hostname = j.value("hostname", "");
    s.source = j.value("source", "");
    s.file_count = JsonIntegerOr<std::uint64_t>(j, "files", 0);
    s.dir_count = JsonIntegerOr<std::uint64_t>(j, "directories", 0);
    s.bytes_read = JsonIntegerOr<std::uint64_t>(j, "bytes", 0);
    s.bytes_new = JsonIntegerOr<std::uint64_t>(j, "bytes_new", 0);
    s.bytes_stored = JsonIntegerOr<std::uint64_t>(j, "bytes_stored", 0);
    s.chunk_count = JsonIntegerOr<std::uint64_t>(j, "chunks", 0);
    s.manifest_bytes = JsonIntegerOr<std::uint64_t>(j, "manifest_bytes", 0);
    s.tags = j.value("tags", std::vector<std::string>{});
    s.lock_until_unix_ns = JsonIntegerOr<std::int64_t>(j, "lock_until_unix_ns", 0);
  } catch (const nlohmann::json::exception& e) {
    // The one place a malformed listing from a server becomes a Status.
    return Status::InvalidArgument(std::string("snapshot object is malformed: ") + e.what());
  }
  return s;
}

}  // namespace cairn
