// ScrubReport: what a scrub found and did -- every damaged chunk with its
// problem, where it was quarantined, which source healed it (or why none
// could) and, for those left unhealed, the snapshots and files that lose
// data -- plus the figures; and its JSON form, which the appliance's verify
// job returns and `cairnctl verify` prints (docs/api.md, "Jobs").
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/engine/verify.h"

namespace cairn {

struct ScrubbedChunk {
  DamagedChunk damage;         // id, problem, and the snapshots/files using it
  std::string quarantined_as;  // path under <store>/quarantine/; "" when it was missing
  std::string healed_from;     // the source whose copy was proven and stored; "" if none
  std::vector<std::string> heal_attempts;  // "<source>: <why not>" per source that did not heal
  bool healed() const { return !healed_from.empty(); }
};

struct ScrubReport {
  std::uint64_t snapshots = 0;
  std::uint64_t chunks_referenced = 0;  // distinct chunks the readable manifests name
  std::uint64_t chunks_checked = 0;
  std::uint64_t chunks_skipped = 0;            // verified recently (unverified_days)
  std::uint64_t bytes_checked = 0;             // plaintext bytes proven sound
  std::vector<ScrubbedChunk> damaged;          // in id order
  std::vector<std::string> damaged_manifests;  // "name/id: problem"
  std::uint64_t healed = 0;
  std::int64_t started_unix_ns = 0;
  std::int64_t duration_ns = 0;

  std::uint64_t unhealed() const { return damaged.size() - healed; }
  // Nothing is left damaged (what was found was healed).
  bool sound() const { return unhealed() == 0 && damaged_manifests.empty(); }
};

// {"sound", "snapshots", "chunks_referenced", "chunks_checked",
//  "chunks_skipped", "bytes_checked", "duration_seconds", "mb_per_second",
//  "healed", "unhealed", "damaged_manifests": [...],
//  "damaged": [{"chunk", "problem", "quarantined_as", "healed_from",
//               "heal_attempts": [...],
//               "snapshots": [{"id", "name", "files": [...], "more_files"}]}]}
nlohmann::json ScrubReportToJson(const ScrubReport& report);

}  // namespace cairn
