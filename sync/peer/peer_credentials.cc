#include "sync/peer/peer_credentials.h"

#include "core/base/file_system.h"

namespace cairn {
namespace {

constexpr const char* kKeyFile = "client.key";
constexpr const char* kCertFile = "client.crt";
constexpr const char* kCaFile = "ca.crt";
// A PEM key or certificate is a few KiB; a chain file at most a few dozen.
constexpr std::uint64_t kMaxPemBytes = 256 << 10;

Result<std::string> ReadPem(const std::filesystem::path& path) {
  auto data = ReadWholeFile(DefaultFileSystem(), path, kMaxPemBytes);
  if (!data.ok()) {
    return Status::InvalidArgument("pairing credentials: " + data.error().message() +
                                   "; pair again (remove the directory first)");
  }
  return std::string(data->begin(), data->end());
}

}  // namespace

Result<bool> HasPeerCredentials(const std::filesystem::path& dir) {
  return DefaultFileSystem().Exists(dir / kCertFile);
}

Result<PeerCredentials> LoadPeerCredentials(const std::filesystem::path& dir) {
  CAIRN_ASSIGN_OR_RETURN(bool paired, HasPeerCredentials(dir));
  if (!paired) {
    return Status::NotFound("no pairing in " + dir.string() +
                            ": pair first, with a pairing token from the remote appliance "
                            "(`cairnctl peer token create` there)");
  }
  PeerCredentials c;
  CAIRN_ASSIGN_OR_RETURN(c.key_pem, ReadPem(dir / kKeyFile));
  CAIRN_ASSIGN_OR_RETURN(c.cert_pem, ReadPem(dir / kCertFile));
  CAIRN_ASSIGN_OR_RETURN(c.ca_pem, ReadPem(dir / kCaFile));
  return c;
}

Status SavePeerCredentials(const std::filesystem::path& dir, const PeerCredentials& credentials) {
  FileSystem& fs = DefaultFileSystem();
  CAIRN_ASSIGN_OR_RETURN(bool paired, HasPeerCredentials(dir));
  if (paired) {
    return Status::AlreadyExists("credentials directory " + dir.string() +
                                 " already holds a pairing (client.crt); use another directory, "
                                 "or remove it to pair again");
  }
  CAIRN_RETURN_IF_ERROR(fs.CreateDirectories(dir));
  std::error_code ec;
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  if (ec) return Status::IoError("restrict " + dir.string() + " to its owner: " + ec.message());
  // The key first, the certificate last: its presence means "paired".
  CAIRN_RETURN_IF_ERROR(
      WriteFileAtomically(fs, dir / kKeyFile, AsBytes(credentials.key_pem), true, 0600));
  CAIRN_RETURN_IF_ERROR(WriteFileAtomically(fs, dir / kCaFile, AsBytes(credentials.ca_pem)));
  return WriteFileAtomically(fs, dir / kCertFile, AsBytes(credentials.cert_pem));
}

}  // namespace cairn
