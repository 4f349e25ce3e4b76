// cairnctl: the admin CLI. main() only reads the environment and wires the
// subcommands together; each command lives in its own cmd_*.cc.
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <cstdlib>

#include "appliance/ctl/cli_common.h"

namespace {
std::string EnvOr(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}
}  // namespace

int main(int argc, char** argv) {
  using namespace cairn::ctl;
  // Chunk buffers (64 KiB - 1 MiB) come and go by the thousand. Above glibc's
  // default 128 KiB threshold each was a fresh mmap: a page fault and a
  // kernel memset per 4 KiB, every time. Serve them from the heap and keep
  // freed memory for reuse (measured: +9% first-backup throughput).
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  Environment env{EnvOr("CAIRN_STORE"), EnvOr("CAIRN_KEY_FILE"), EnvOr("CAIRN_PASSPHRASE"),
                  {EnvOr("CAIRN_APPLIANCE"), EnvOr("CAIRN_TOKEN"), EnvOr("CAIRN_CA_FILE")}};
  CLI::App app{"cairnctl - administer a Cairn appliance (--appliance) or a store folder (--store)"};
  app.require_subcommand(1);
  CommandRegistry reg;
  RegisterStoreCommands(app, reg, env);
  RegisterBackupCommand(app, reg, env);
  RegisterSnapshotsCommand(app, reg, env);
  RegisterRestoreCommand(app, reg, env);
  RegisterVerifyCommand(app, reg, env);
  RegisterGcCommand(app, reg, env);
  RegisterKeyCommands(app, reg, env);
  RegisterCatalogCommands(app, reg, env);
  RegisterReplicaCommands(app, reg, env);
  RegisterRemoteCommands(app, reg, env);
  RegisterPeerCommands(app, reg, env);
  RegisterTargetCommands(app, reg, env);
  RegisterJobCommands(app, reg, env);
  RegisterRetentionCommands(app, reg, env);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return reg.runner ? reg.runner() : 2;
}
