#include "core/crypto/key_file.h"

#include <system_error>

#include "core/crypto/random.h"

namespace cairn {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string FormatKeyFile(const KeyFileKey& key) {
  std::string text = kKeyFileMagicLine;
  text += '\n';
  text += ToHex(key.bytes);
  text += '\n';
  return text;
}

Result<KeyFileKey> ParseKeyFile(std::string_view text, std::string_view origin) {
  auto bad = [&](std::string_view what) {
    return Status::Corruption("key file " + std::string(origin) + ": " + std::string(what) +
                              "; a key file is two lines, \"" + kKeyFileMagicLine +
                              "\" and the key as 64 hex digits");
  };
  std::size_t nl = text.find('\n');
  if (nl == std::string_view::npos) return bad("no line break after the first line");
  if (TrimRight(text.substr(0, nl)) != kKeyFileMagicLine) {
    return bad("the first line is not \"" + std::string(kKeyFileMagicLine) + "\"");
  }
  std::string_view rest = text.substr(nl + 1);
  nl = rest.find('\n');
  std::string_view hex = TrimRight(rest.substr(0, nl));
  std::string_view tail = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  for (char c : tail) {
    if (!IsBlank(c) && c != '\n') return bad("unexpected text after the key line");
  }
  if (hex.size() != 2 * SecretKey::kSize) {
    return bad("the key line has " + std::to_string(hex.size()) + " characters, expected 64");
  }
  auto raw = FromHex(hex);
  if (!raw) return bad("the key line holds a character that is not a hex digit");
  KeyFileKey key = KeyFromBytes<KeyFileKey>(*raw);
  Cleanse(*raw);
  return key;
}

Status CreateKeyFile(FileSystem& fs, const fs::path& path) {
  CAIRN_ASSIGN_OR_RETURN(bool exists, fs.Exists(path));
  if (exists) {
    return Status::AlreadyExists(
        "create key file " + path.string() +
        ": a file already exists there and was left untouched (it may be the only key that "
        "opens a store); choose another path, or move the old file away yourself once you "
        "are sure no store needs it");
  }
  KeyFileKey key;
  CAIRN_RETURN_IF_ERROR(FillRandom(key.bytes));
  std::string text = FormatKeyFile(key);
  // Owner-only from the moment the temporary exists.
  Status s = WriteFileAtomically(fs, path, AsBytes(text), /*sync_directory=*/true, 0600);
  Cleanse({reinterpret_cast<std::uint8_t*>(text.data()), text.size()});
  return s.WithContext("create key file");
}

Result<KeyFileKey> LoadKeyFile(FileSystem& fs, const fs::path& path) {
  auto data = ReadWholeFile(fs, path, kMaxKeyFileSize);
  if (!data.ok()) {
    const Status& e = data.error();
    if (e.IsNotFound()) {
      return Status::NotFound("key file " + path.string() +
                              " does not exist: pass the key file this store was created with "
                              "(or open the store with a recovery passphrase or kit)");
    }
    if (e.IsInvalidArgument()) {  // over the size bound
      return Status::Corruption("key file " + path.string() + " is larger than " +
                                std::to_string(kMaxKeyFileSize) +
                                " bytes, so it is not a Cairn key file");
    }
    return e.WithContext("load key file");
  }
  auto key = ParseKeyFile(AsChars(*data), path.string());
  Cleanse(*data);
  return key;
}

}  // namespace cairn
