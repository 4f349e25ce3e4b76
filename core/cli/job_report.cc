#include "core/cli/job_report.h"

#include "core/cli/human.h"

namespace cairn {

std::string RenderBackupProgress(const JobProgress& p, double secs) {
  return "backup  " + HumanBytes(p.bytes_done) + " read  " + std::to_string(p.entries.load()) +
         " entries  " + HumanRate(p.bytes_done, secs) + "  new " + HumanBytes(p.bytes_new) +
         " -> stored " + HumanBytes(p.bytes_stored);
}

std::string RenderRestoreProgress(const JobProgress& p, double secs) {
  std::string line = "restore  " + HumanBytes(p.bytes_done);
  if (p.bytes_total > 0) line += " of " + HumanBytes(p.bytes_total);
  return line + "  " + std::to_string(p.entries.load()) + " entries  " +
         HumanRate(p.bytes_done, secs);
}

void PrintBackupSummary(const BackupResult& r, std::FILE* out) {
  const BackupFigures& f = r.figures;
  double secs = static_cast<double>(f.duration_ns) / 1e9;
  std::fprintf(out, "files          %llu (%llu unchanged), %llu directories, %llu other\n",
               static_cast<unsigned long long>(f.files),
               static_cast<unsigned long long>(f.files_unchanged),
               static_cast<unsigned long long>(f.directories),
               static_cast<unsigned long long>(f.other_entries));
  std::fprintf(out, "bytes read     %s of %s\n", HumanBytes(f.bytes_read).c_str(),
               HumanBytes(f.bytes_logical).c_str());
  std::fprintf(out, "new bytes      %s in %llu new chunks (%llu referenced)\n",
               HumanBytes(f.bytes_new).c_str(), static_cast<unsigned long long>(f.chunks_new),
               static_cast<unsigned long long>(f.chunks_referenced));
  std::fprintf(out, "bytes stored   %s\n", HumanBytes(f.bytes_stored).c_str());
  std::fprintf(out, "dedup ratio    %s (logical / new)\n",
               Ratio(static_cast<double>(f.bytes_logical), static_cast<double>(f.bytes_new)).c_str());
  std::fprintf(out, "compression    %s (new / stored)\n",
               Ratio(static_cast<double>(f.bytes_new), static_cast<double>(f.bytes_stored)).c_str());
  std::fprintf(out, "throughput     %s (%.2f s)\n", HumanRate(f.bytes_logical, secs).c_str(), secs);
  for (const std::string& w : r.warnings) std::fprintf(out, "warning        %s\n", w.c_str());
  std::fprintf(out, "snapshot %s\n", r.snapshot_id.c_str());
}

int ReportRestore(const RestoreResult& r, double secs, std::FILE* out, std::string_view program) {
  std::fprintf(out, "restored snapshot %s: %llu entries, %llu files, %s in %.2f s (%s)\n",
               r.snapshot_id.c_str(), static_cast<unsigned long long>(r.entries),
               static_cast<unsigned long long>(r.files), HumanBytes(r.bytes).c_str(), secs,
               HumanRate(r.bytes, secs).c_str());
  const std::string prog(program);
  for (const std::string& e : r.errors) std::fprintf(stderr, "%s: %s\n", prog.c_str(), e.c_str());
  if (!r.errors.empty()) {
    std::fprintf(stderr, "%s: %zu entries could not be restored (listed above)\n", prog.c_str(),
                 r.errors.size());
    return 1;
  }
  return 0;
}

}  // namespace cairn
