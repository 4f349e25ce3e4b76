// `cairn-agent backup-resources`: the resources backup job (resource_backup.h)
// from the command line, with a progress line on a terminal and a summary:
// snapshot id, objects, types, bytes, skipped types with their reasons,
// warnings, time and objects/s. Exit 0 when the snapshot is committed
// (warnings included), 1 otherwise.
#pragma once

#include <CLI/CLI.hpp>

#include "agent/agent_commands.h"

namespace cairn {

void RegisterBackupResourcesCommand(CLI::App& app, AgentCommandFlags& flags);

}  // namespace cairn
