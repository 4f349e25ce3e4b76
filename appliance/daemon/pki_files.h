// The appliance's PKI directory (ApplianceConfig::pki_dir):
//
//   ca.crt       the appliance CA certificate (its SHA-256 is the enrollment pin)
//   ca.key       the CA's private key                               (0600)
//   server.crt   the listeners' certificate, followed by ca.crt
//   server.key   its private key                                    (0600)
//
// Created once by `cairn-appliance init`, read at every start.
#pragma once

#include <filesystem>
#include <string>

#include "core/base/status.h"

namespace cairn {

struct PkiMaterial {
  std::string ca_cert_pem, ca_key_pem;
  std::string server_chain_pem, server_key_pem;
};

Status WritePki(const std::filesystem::path& dir, const PkiMaterial& pki);
Result<PkiMaterial> ReadPki(const std::filesystem::path& dir);
bool PkiExists(const std::filesystem::path& dir);

}  // namespace cairn
