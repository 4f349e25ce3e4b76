// cairnctl store init: creates a store and its key file.
#include <cstdio>

#include "appliance/ctl/cli_common.h"

namespace cairn::ctl {

void RegisterStoreCommands(CLI::App& app, CommandRegistry& reg, const Environment& env) {
  CLI::App* store = app.add_subcommand("store", "create and inspect stores");
  store->require_subcommand(1);
  CLI::App* init = store->add_subcommand("init", "create a new store and its key file");
  struct Flags {
    std::string store, key_file;
    int zstd_level = 2;
  };
  auto flags = std::make_shared<Flags>();
  flags->store = env.store;
  flags->key_file = env.key_file;
  init->add_option("--store", flags->store, "directory for the new store (absent or empty)")
      ->required(env.store.empty());
  init->add_option("--key-file", flags->key_file, "path of the new key file (must not exist)")
      ->required(env.key_file.empty());
  init->add_option("--zstd-level", flags->zstd_level, "compression level, 1-19 (default 2)")
      ->check(CLI::Range(1, 19));
  init->callback([&reg, flags] {
    reg.runner = [flags] {
      StoreOptions options;
      options.zstd_level = flags->zstd_level;
      Status s = Store::Init(DefaultFileSystem(), flags->store, flags->key_file, options);
      if (!s.ok()) return Fail(s);
      std::printf("created store %s\nkey file   %s\n", flags->store.c_str(),
                  flags->key_file.c_str());
      std::printf(
          "Keep the key file apart from the store: whoever has both can read every backup.\n"
          "Add a recovery passphrase (cairnctl key add-passphrase) and print the recovery kit\n"
          "(cairnctl key export) before the first backup.\n");
      return 0;
    };
  });
}

}  // namespace cairn::ctl
