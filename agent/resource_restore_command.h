// `cairn-agent restore-resources`: the CLI of RunResourceRestore. Parses and
// checks the flags, connects to the target (unless --to-dir), runs the job
// and prints the plan or the report; the exit code is 0 only when no object
// failed.
// Thread-safety: registered and run on main's thread.
#pragma once

#include <CLI/CLI.hpp>

#include "agent/agent_commands.h"

namespace cairn {

void RegisterRestoreResourcesCommand(CLI::App& app, AgentCommandFlags& flags);

}  // namespace cairn
