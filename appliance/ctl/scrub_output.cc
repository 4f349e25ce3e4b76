#include "appliance/ctl/scrub_output.h"

#include <cstdio>

#include "appliance/ctl/remote_command.h"
#include "core/cli/human.h"

namespace cairn::ctl {

using json = nlohmann::json;

namespace {

void PrintUses(const json& chunk, bool with_files) {
  for (const json& use : List(chunk, "snapshots")) {
    std::printf("  snapshot %s (%s)%s\n", Str(use, "id").c_str(), Str(use, "name").c_str(),
                with_files ? ":" : "");
    if (!with_files) continue;
    for (const json& f : List(use, "files")) {
      if (f.is_string()) std::printf("    %s\n", f.get<std::string>().c_str());
    }
    if (Num(use, "more_files") > 0) {
      std::printf("    ... and %llu more files\n",
                  static_cast<unsigned long long>(Num(use, "more_files")));
    }
  }
}

}  // namespace

int PrintScrubResult(const json& r) {
  for (const json& m : List(r, "damaged_manifests")) {
    if (m.is_string()) std::printf("DAMAGED snapshot manifest %s\n", m.get<std::string>().c_str());
  }
  for (const json& c : List(r, "damaged")) {
    const std::string healed_from = Str(c, "healed_from");
    if (!healed_from.empty()) {
      std::printf("HEALED chunk %s from %s (was: %s)\n", Str(c, "chunk").c_str(),
                  healed_from.c_str(), Str(c, "problem").c_str());
      PrintUses(c, /*with_files=*/false);
      continue;
    }
    std::printf("DAMAGED chunk %s: %s\n", Str(c, "chunk").c_str(), Str(c, "problem").c_str());
    PrintUses(c, /*with_files=*/true);
    for (const json& a : List(c, "heal_attempts")) {
      if (a.is_string()) std::printf("  not healed: %s\n", a.get<std::string>().c_str());
    }
    if (!Str(c, "quarantined_as").empty()) {
      std::printf("  quarantined as %s\n", Str(c, "quarantined_as").c_str());
    }
  }
  const double secs = Real(r, "duration_seconds");
  std::printf("checked %llu snapshots, %llu chunks, %s in %.1f s (%s)",
              static_cast<unsigned long long>(Num(r, "snapshots")),
              static_cast<unsigned long long>(Num(r, "chunks_checked")),
              HumanBytes(Num(r, "bytes_checked")).c_str(), secs,
              HumanRate(Num(r, "bytes_checked"), secs).c_str());
  if (Num(r, "chunks_skipped") > 0) {
    std::printf("; %llu chunks verified recently skipped",
                static_cast<unsigned long long>(Num(r, "chunks_skipped")));
  }
  std::printf("\n");
  const std::size_t damaged = List(r, "damaged").size();
  const std::uint64_t healed = Num(r, "healed"), unhealed = Num(r, "unhealed");
  if (damaged > 0) {
    std::printf("%zu damaged chunks: %llu healed, %llu not healed\n", damaged,
                static_cast<unsigned long long>(healed), static_cast<unsigned long long>(unhealed));
  }
  if (!Flag(r, "sound")) {
    std::printf("store is DAMAGED: %llu chunks, %zu manifests\n",
                static_cast<unsigned long long>(unhealed), List(r, "damaged_manifests").size());
    return 1;
  }
  std::printf(damaged > 0 ? "store is sound again (healed)\n" : "store is sound\n");
  return 0;
}

}  // namespace cairn::ctl
