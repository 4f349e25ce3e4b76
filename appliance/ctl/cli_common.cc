#include "appliance/ctl/cli_common.h"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

namespace cairn::ctl {

void AddStoreFlags(CLI::App* cmd, StoreFlags& flags, const Environment& env) {
  flags.store = env.store;
  flags.key_file = env.key_file;
  cmd->add_option("--store", flags.store, "store directory (env CAIRN_STORE)");
  cmd->add_option("--key-file", flags.key_file, "the store's key file (env CAIRN_KEY_FILE)");
  cmd->add_option("--passphrase-file", flags.passphrase_file,
                  "open with a recovery passphrase read from this file instead of a key file "
                  "(env CAIRN_PASSPHRASE holds the passphrase itself)");
}

Result<std::unique_ptr<Store>> OpenStore(const StoreFlags& flags, const Environment& env,
                                         bool fresh_catalog) {
  if (flags.store.empty()) {
    return Status::InvalidArgument("no store given: pass --store DIR or set CAIRN_STORE");
  }
  KeySource key;
  if (!flags.passphrase_file.empty()) {
    CAIRN_ASSIGN_OR_RETURN(std::string p, ReadSecretFile(flags.passphrase_file));
    key.passphrase = std::move(p);
  } else if (!flags.key_file.empty()) {
    key.key_file = flags.key_file;
  } else if (!env.passphrase.empty()) {
    key.passphrase = env.passphrase;
  } else {
    return Status::InvalidArgument(
        "no key given: pass --key-file FILE (or CAIRN_KEY_FILE), or --passphrase-file FILE with "
        "a recovery passphrase");
  }
  return Store::Open(DefaultFileSystem(), flags.store, key, fresh_catalog);
}

Result<std::string> ReadSecretFile(const std::string& path) {
  CAIRN_ASSIGN_OR_RETURN(Bytes data, ReadWholeFile(DefaultFileSystem(), path, 64 * 1024));
  std::string text(AsChars(data));
  auto nl = text.find('\n');
  if (nl != std::string::npos) text.resize(nl);
  if (!text.empty() && text.back() == '\r') text.pop_back();
  if (text.empty()) return Status::InvalidArgument("secret file " + path + " is empty");
  return text;
}

Result<std::string> PromptSecret(const std::string& prompt) {
  if (::isatty(STDIN_FILENO) != 1) {
    return Status::InvalidArgument("cannot ask for a passphrase: standard input is not a terminal; "
                                   "pass it in a file instead");
  }
  std::fprintf(stderr, "%s", prompt.c_str());
  std::fflush(stderr);
  termios old{};
  ::tcgetattr(STDIN_FILENO, &old);
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  std::string line;
  std::getline(std::cin, line);
  ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
  std::fprintf(stderr, "\n");
  return line;
}

int Fail(const Status& status) {
  std::fprintf(stderr, "cairnctl: %s\n", status.message().c_str());
  return 1;
}

}  // namespace cairn::ctl
