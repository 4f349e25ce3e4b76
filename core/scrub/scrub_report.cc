#include "core/scrub/scrub_report.h"

namespace cairn {

nlohmann::json ScrubReportToJson(const ScrubReport& report) {
  using nlohmann::json;
  json damaged = json::array();
  for (const ScrubbedChunk& c : report.damaged) {
    json uses = json::array();
    for (const DamagedChunk::Use& use : c.damage.used_by) {
      uses.push_back({{"id", use.snapshot_id},
                      {"name", use.name},
                      {"files", use.files},
                      {"more_files", use.more_files}});
    }
    damaged.push_back({{"chunk", c.damage.id.Hex()},
                       {"problem", c.damage.problem},
                       {"quarantined_as", c.quarantined_as},
                       {"healed_from", c.healed_from},
                       {"heal_attempts", c.heal_attempts},
                       {"snapshots", std::move(uses)}});
  }
  const double seconds = static_cast<double>(report.duration_ns) / 1e9;
  return {{"sound", report.sound()},
          {"snapshots", report.snapshots},
          {"chunks_referenced", report.chunks_referenced},
          {"chunks_checked", report.chunks_checked},
          {"chunks_skipped", report.chunks_skipped},
          {"bytes_checked", report.bytes_checked},
          {"started_unix_ns", report.started_unix_ns},
          {"duration_seconds", seconds},
          {"mb_per_second",
           seconds > 0 ? static_cast<double>(report.bytes_checked) / 1e6 / seconds : 0.0},
          {"healed", report.healed},
          {"unhealed", report.unhealed()},
          {"damaged_manifests", report.damaged_manifests},
          {"damaged", std::move(damaged)}};
}

}  // namespace cairn
