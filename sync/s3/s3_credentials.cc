#include "sync/s3/s3_credentials.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

// toml++ (Debian 3.3) is built with exceptions; its one throwing call here,
// toml::parse, is caught below (as in agent/agent_config.cc).
#include <toml++/toml.h>

#include "core/base/file_system.h"

namespace cairn {
namespace {

constexpr std::string_view kFormat =
    "expected two lines: access_key = \"...\" and secret_key = \"...\"";

Status Bad(std::string_view source, const std::string& what) {
  return Status::InvalidArgument("S3 credentials file " + std::string(source) + ": " + what);
}

// Printable ASCII without spaces: what S3 access and secret keys are made
// of, and what can go into a header and a signing key unescaped.
bool IsKeyText(std::string_view s) {
  return !s.empty() && s.size() <= 1024 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

}  // namespace

Result<SigV4Credentials> ParseS3Credentials(std::string_view text, std::string_view source) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    return Bad(source, "line " + std::to_string(e.source().begin.line) + ": " +
                           std::string(e.description()) + "; " + std::string(kFormat));
  }
  SigV4Credentials c;
  for (const auto& [key, node] : root) {
    std::string* out = nullptr;
    if (key.str() == "access_key") {
      out = &c.access_key;
    } else if (key.str() == "secret_key") {
      out = &c.secret_key;
    } else {
      return Bad(source, "unknown key '" + std::string(key.str()) + "'; " + std::string(kFormat));
    }
    const auto* value = node.as_string();
    if (value == nullptr) {
      return Bad(source, std::string(key.str()) + " must be a quoted string");
    }
    *out = value->get();
  }
  if (c.access_key.empty() || c.secret_key.empty()) {
    return Bad(source, std::string(c.access_key.empty() ? "access_key" : "secret_key") +
                           " is missing or empty; " + std::string(kFormat));
  }
  // The access key goes into the Credential= scope, where '/' separates
  // fields; neither key may hold spaces or control characters.
  if (!IsKeyText(c.access_key) || c.access_key.find('/') != std::string::npos) {
    return Bad(source, "access_key must be printable ASCII without spaces or '/'");
  }
  if (!IsKeyText(c.secret_key)) {
    return Bad(source, "secret_key must be printable ASCII without spaces");
  }
  return c;
}

Result<SigV4Credentials> LoadS3Credentials(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    const int err = errno;
    return Bad(file.string(), std::string("cannot be read: ") + std::strerror(err) +
                                  " (create it, mode 600, with access_key and secret_key)");
  }
  if ((st.st_mode & S_IROTH) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(st.st_mode & 0777));
    return Bad(file.string(), std::string("is readable by every user (mode ") + mode +
                                  "); run chmod 600 " + file.string());
  }
  auto raw = ReadWholeFile(DefaultFileSystem(), file, kMaxS3CredentialsFileBytes);
  if (!raw.ok()) return Bad(file.string(), raw.error().message());
  return ParseS3Credentials(AsChars(*raw), file.string());
}

}  // namespace cairn
