#include "appliance/daemon/pki_files.h"

#include "core/base/file_system.h"

namespace cairn {
namespace {

constexpr std::uint64_t kMaxPemFile = 64 << 10;

Result<std::string> ReadPem(const std::filesystem::path& p) {
  auto bytes = ReadWholeFile(DefaultFileSystem(), p, kMaxPemFile);
  if (!bytes.ok()) {
    return bytes.error().WithContext("appliance PKI (run `cairn-appliance init` first?)");
  }
  return std::string(bytes->begin(), bytes->end());
}

}  // namespace

bool PkiExists(const std::filesystem::path& dir) {
  std::error_code ec;
  return std::filesystem::exists(dir / "ca.crt", ec) || std::filesystem::exists(dir / "ca.key", ec);
}

Status WritePki(const std::filesystem::path& dir, const PkiMaterial& pki) {
  FileSystem& fs = DefaultFileSystem();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError("create " + dir.string() + ": " + ec.message());
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  CAIRN_RETURN_IF_ERROR(WriteFileAtomically(fs, dir / "ca.key", AsBytes(pki.ca_key_pem), true, 0600));
  CAIRN_RETURN_IF_ERROR(
      WriteFileAtomically(fs, dir / "server.key", AsBytes(pki.server_key_pem), true, 0600));
  CAIRN_RETURN_IF_ERROR(WriteFileAtomically(fs, dir / "server.crt", AsBytes(pki.server_chain_pem)));
  // ca.crt last: its presence is what "initialised" checks.
  return WriteFileAtomically(fs, dir / "ca.crt", AsBytes(pki.ca_cert_pem));
}

Result<PkiMaterial> ReadPki(const std::filesystem::path& dir) {
  PkiMaterial pki;
  CAIRN_ASSIGN_OR_RETURN(pki.ca_cert_pem, ReadPem(dir / "ca.crt"));
  CAIRN_ASSIGN_OR_RETURN(pki.ca_key_pem, ReadPem(dir / "ca.key"));
  CAIRN_ASSIGN_OR_RETURN(pki.server_chain_pem, ReadPem(dir / "server.crt"));
  CAIRN_ASSIGN_OR_RETURN(pki.server_key_pem, ReadPem(dir / "server.key"));
  return pki;
}

}  // namespace cairn
