// What every cairnctl command shares: the flags that locate and unlock a
// store, secret input, and the one way errors reach the user
// ("cairnctl: <what went wrong and what to do>").
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "appliance/ctl/remote_client.h"
#include "core/base/status.h"
#include "core/store/store.h"

namespace cairn::ctl {

// Settings read from the environment by main() (the only place that reads
// it) and offered to commands as defaults.
struct Environment {
  std::string store;             // CAIRN_STORE
  std::string key_file;          // CAIRN_KEY_FILE
  std::string passphrase;        // CAIRN_PASSPHRASE
  RemoteEnvironment remote;      // CAIRN_APPLIANCE, CAIRN_TOKEN, CAIRN_CA_FILE
};

struct StoreFlags {
  std::string store;
  std::string key_file;
  std::string passphrase_file;
};

// --store, --key-file, --passphrase-file on `cmd`, defaulted from env.
void AddStoreFlags(CLI::App* cmd, StoreFlags& flags, const Environment& env);
// fresh_catalog: see Store::Open (catalog rebuild).
Result<std::unique_ptr<Store>> OpenStore(const StoreFlags& flags, const Environment& env,
                                         bool fresh_catalog = false);

// Reads a secret from a file (first line, trailing newline removed).
Result<std::string> ReadSecretFile(const std::string& path);
// Asks on the terminal without echo; refuses when stdin is not a terminal.
Result<std::string> PromptSecret(const std::string& prompt);

// Prints "cairnctl: <message>" to stderr and returns exit code 1.
int Fail(const Status& status);

// Remote mode when no store is given and an appliance is (flag or env).
inline bool UseRemote(const StoreFlags& store, const RemoteFlags& remote) {
  return store.store.empty() && !remote.appliance.empty();
}

// A command registers its subcommand and the function that runs it.
using CommandRunner = std::function<int()>;
struct CommandRegistry {
  CommandRunner runner;  // set by the subcommand's callback
};

void RegisterStoreCommands(CLI::App& app, CommandRegistry& reg, const Environment& env);
void RegisterBackupCommand(CLI::App& app, CommandRegistry& reg, const Environment& env);
void RegisterSnapshotsCommand(CLI::App& app, CommandRegistry& reg, const Environment& env);
void RegisterRestoreCommand(CLI::App& app, CommandRegistry& reg, const Environment& env);
void RegisterVerifyCommand(CLI::App& app, CommandRegistry& reg, const Environment& env);
void RegisterGcCommand(CLI::App& app, CommandRegistry& reg, const Environment& env);
void RegisterKeyCommands(CLI::App& app, CommandRegistry& reg, const Environment& env);
void RegisterCatalogCommands(CLI::App& app, CommandRegistry& reg, const Environment& env);
void RegisterReplicaCommands(CLI::App& app, CommandRegistry& reg, const Environment& env);
// Remote mode (admin API): status, clusters, agent, token, audit, api-token.
void RegisterRemoteCommands(CLI::App& app, CommandRegistry& reg, const Environment& env);
// Remote mode: peer token create, peer list, peer revoke (cmd_peer.cc).
void RegisterPeerCommands(CLI::App& app, CommandRegistry& reg, const Environment& env);
void RegisterTargetCommands(CLI::App& app, CommandRegistry& reg, const Environment& env);
void RegisterJobCommands(CLI::App& app, CommandRegistry& reg, const Environment& env);
void RegisterRetentionCommands(CLI::App& app, CommandRegistry& reg, const Environment& env);

}  // namespace cairn::ctl
