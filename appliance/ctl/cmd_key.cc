// cairnctl key add-passphrase | export | import: the ways into a store's
// master key besides the key file, so a DR lead can open a replica elsewhere.
#include <sys/stat.h>

#include <cstdio>

#include "appliance/ctl/cli_common.h"
#include "core/crypto/recovery_kit.h"

namespace cairn::ctl {

namespace {

Result<std::string> NewPassphrase(const std::string& file) {
  if (!file.empty()) return ReadSecretFile(file);
  CAIRN_ASSIGN_OR_RETURN(std::string first, PromptSecret("new recovery passphrase: "));
  CAIRN_ASSIGN_OR_RETURN(std::string again, PromptSecret("repeat it: "));
  if (first != again) return Status::InvalidArgument("the two passphrases differ; nothing changed");
  return first;
}

}  // namespace

void RegisterKeyCommands(CLI::App& app, CommandRegistry& reg, const Environment& env) {
  CLI::App* key = app.add_subcommand("key", "recovery passphrases and the recovery kit");
  key->require_subcommand(1);

  CLI::App* add = key->add_subcommand("add-passphrase", "add a recovery passphrase to the store");
  struct AddFlags {
    StoreFlags store;
    std::string new_passphrase_file;
  };
  auto add_flags = std::make_shared<AddFlags>();
  AddStoreFlags(add, add_flags->store, env);
  add->add_option("--new-passphrase-file", add_flags->new_passphrase_file,
                  "read the new passphrase from this file instead of asking");
  add->callback([&reg, add_flags, &env] {
    reg.runner = [add_flags, &env] {
      auto store = OpenStore(add_flags->store, env);
      if (!store.ok()) return Fail(store.error());
      auto pass = NewPassphrase(add_flags->new_passphrase_file);
      if (!pass.ok()) return Fail(pass.error());
      Status s = (*store)->AddPassphrase(*pass);
      if (!s.ok()) return Fail(s);
      std::printf("added a recovery passphrase to store %s (%zu key slots)\n",
                  (*store)->config().StoreIdHex().c_str(), (*store)->config().key_slots.size());
      return 0;
    };
  });

  CLI::App* exp = key->add_subcommand("export", "print the recovery kit (keep it offline)");
  struct ExportFlags {
    StoreFlags store;
    std::string output;
  };
  auto exp_flags = std::make_shared<ExportFlags>();
  AddStoreFlags(exp, exp_flags->store, env);
  exp->add_option("--output", exp_flags->output, "write the kit to this new file (mode 0600)");
  exp->callback([&reg, exp_flags, &env] {
    reg.runner = [exp_flags, &env] {
      auto store = OpenStore(exp_flags->store, env);
      if (!store.ok()) return Fail(store.error());
      std::string kit = FormatRecoveryKit((*store)->master_key(), (*store)->config().store_id,
                                          (*store)->dir().string());
      if (exp_flags->output.empty()) {
        std::fputs(kit.c_str(), stdout);
        return 0;
      }
      auto exists = DefaultFileSystem().Exists(exp_flags->output);
      if (exists.ok() && *exists) {
        return Fail(Status::AlreadyExists(exp_flags->output + " exists: choose a new file"));
      }
      mode_t old = ::umask(077);
      Status s = WriteFileAtomically(DefaultFileSystem(), exp_flags->output, AsBytes(kit));
      ::umask(old);
      if (!s.ok()) return Fail(s);
      std::printf("recovery kit written to %s: print it, store it offline, delete the file\n",
                  exp_flags->output.c_str());
      return 0;
    };
  });

  CLI::App* imp = key->add_subcommand(
      "import", "open a store with its recovery kit and give it a new key file");
  struct ImportFlags {
    std::string store, kit, key_file;
  };
  auto imp_flags = std::make_shared<ImportFlags>();
  imp_flags->store = env.store;
  imp->add_option("--store", imp_flags->store, "store directory")->required(env.store.empty());
  imp->add_option("--kit", imp_flags->kit, "recovery kit file (as printed by key export)")
      ->required();
  imp->add_option("--key-file", imp_flags->key_file, "path of the new key file (must not exist)")
      ->required();
  imp->callback([&reg, imp_flags] {
    reg.runner = [imp_flags] {
      auto text = ReadWholeFile(DefaultFileSystem(), imp_flags->kit, 64 * 1024);
      if (!text.ok()) return Fail(text.error());
      auto parsed = ParseRecoveryKit(AsChars(*text));
      if (!parsed.ok()) return Fail(parsed.error().WithContext("recovery kit " + imp_flags->kit));
      auto store = Store::OpenWithMasterKey(DefaultFileSystem(), imp_flags->store, parsed->first);
      if (!store.ok()) return Fail(store.error());
      if ((*store)->config().store_id != parsed->second) {
        return Fail(Status::PermissionDenied("the recovery kit names store " +
                                             ToHex(parsed->second) + ", not this one"));
      }
      Status s = (*store)->AddKeyFile(imp_flags->key_file);
      if (!s.ok()) return Fail(s);
      std::printf("store %s opened with its recovery kit; new key file %s\n",
                  (*store)->config().StoreIdHex().c_str(), imp_flags->key_file.c_str());
      return 0;
    };
  });
}

}  // namespace cairn::ctl
