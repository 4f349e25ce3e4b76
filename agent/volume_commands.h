// The cairn-agent volume subcommands: backup-volumes (the PVCs mounted on
// this node, with their pods' hooks) and restore-volumes (to a directory or
// back to where the PVC is mounted now). Each is a CLI11 subcommand whose
// callback runs the job and sets flags.exit_code.
#pragma once

#include <CLI/CLI.hpp>

#include "agent/agent_commands.h"

namespace cairn {

void RegisterVolumeCommands(CLI::App& app, AgentCommandFlags& flags);

}  // namespace cairn
