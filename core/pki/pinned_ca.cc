#include "core/pki/pinned_ca.h"

#include "core/pki/certificate_info.h"

namespace cairn::pki {

Result<std::string> SelectPinnedCa(const std::vector<std::string>& chain,
                                   std::string_view pin_sha256_hex, std::string_view url) {
  const std::string where(url);
  if (chain.empty()) return Status::PermissionDenied(where + " presented no certificate");
  std::vector<std::string> seen;
  for (const std::string& pem : chain) {
    CAIRN_ASSIGN_OR_RETURN(std::string sha, CertificateSha256Hex(pem));
    if (sha == pin_sha256_hex) {
      CAIRN_RETURN_IF_ERROR(VerifyCertificateAgainstCa(chain.front(), pem)
                                .WithContext("the server certificate of " + where +
                                             " was not issued by the pinned CA"));
      return pem;
    }
    seen.push_back(std::move(sha));
  }
  std::string msg = where + " does not present the CA this token pins (sha256 " +
                    std::string(pin_sha256_hex) + "; it presented ";
  for (std::size_t i = 0; i < seen.size(); ++i) msg += (i ? ", " : "") + seen[i];
  msg +=
      "): wrong appliance address, a token from another appliance, or someone in between. "
      "Check the URL and create a new token on the right appliance";
  return Status::PermissionDenied(std::move(msg));
}

}  // namespace cairn::pki
