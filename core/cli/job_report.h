// What a terminal user sees of a backup or restore, the same from cairnctl
// (local mode) and cairn-agent: the live progress line's text, and the
// summary printed at the end (whose last line, "snapshot <id>", scripts rely
// on).
#pragma once

#include <cstdio>
#include <string>

#include "core/engine/backup.h"
#include "core/engine/progress.h"
#include "core/engine/restore.h"

namespace cairn {

std::string RenderBackupProgress(const JobProgress& p, double secs);
std::string RenderRestoreProgress(const JobProgress& p, double secs);
void PrintBackupSummary(const BackupResult& r, std::FILE* out = stdout);
// Prints the one-line summary and every per-entry error; returns the exit
// code (1 when some entries could not be restored).
int ReportRestore(const RestoreResult& r, double secs, std::FILE* out, std::string_view program);

}  // namespace cairn
