// S3 credentials file: a small TOML file named by S3TargetSettings.
// credentials_file, kept out of the target spec so that the catalog, logs
// and `cairnctl target list` never hold a secret:
//
//   access_key = "AKIA..."
//   secret_key = "..."
//
// Both keys are required and nothing else is accepted (a misspelt key is an
// error, not a silent default). The file must not be readable by every user
// (mode o+r): it is refused, as ssh refuses a private key anyone can read,
// saying to chmod 600 it. Session tokens (temporary STS credentials) are not
// supported. Errors are InvalidArgument naming the file and what to write.
//
// Thread-safety: pure functions (LoadS3Credentials reads the file system).
#pragma once

#include <filesystem>
#include <string_view>

#include "core/base/status.h"
#include "sync/s3/sigv4.h"

namespace cairn {

// Larger files are refused: credentials are two short lines.
inline constexpr std::uint64_t kMaxS3CredentialsFileBytes = 64 * 1024;

// Parses the TOML text; `source` names it in messages.
Result<SigV4Credentials> ParseS3Credentials(std::string_view text, std::string_view source);

// Checks the file's mode, reads it (bounded) and parses it.
Result<SigV4Credentials> LoadS3Credentials(const std::filesystem::path& file);

}  // namespace cairn
