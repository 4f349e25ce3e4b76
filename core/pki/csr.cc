#include "core/pki/csr.h"

#include <openssl/core_names.h>
#include <openssl/pem.h>

#include "core/pki/certificate_builder.h"

namespace cairn::pki {
namespace {

using internal::BioPtr;
using internal::EvpPkeyPtr;
using internal::X509NamePtr;
using internal::X509ReqPtr;

constexpr const char* kWhatToDo =
    "send the CERTIFICATE REQUEST the agent's enrollment produced (one PEM block, EC P-256 key)";

// "RSA (2048 bits)", "EC secp384r1": how a refused key is named to the user.
std::string DescribeKey(const EVP_PKEY* key) {
  const char* type = EVP_PKEY_get0_type_name(key);
  std::string out = type != nullptr ? type : "unknown type";
  char group[64];
  std::size_t group_len = 0;
  if (EVP_PKEY_is_a(key, "EC") &&
      EVP_PKEY_get_group_name(key, group, sizeof group, &group_len) == 1) {
    out += " ";
    out.append(group, group_len);
  } else if (int bits = EVP_PKEY_get_bits(key); bits > 0) {
    out += " (" + std::to_string(bits) + " bits)";
  }
  return out;
}

bool IsAcceptedClientKey(const EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "ED25519")) return true;
  if (!EVP_PKEY_is_a(key, "EC")) return false;
  char group[64];
  std::size_t group_len = 0;
  if (EVP_PKEY_get_group_name(key, group, sizeof group, &group_len) != 1) return false;
  std::string_view name(group, group_len);
  return name == "prime256v1" || name == "P-256";
}

}  // namespace

Result<KeyAndCsr> GenerateKeyAndCsr(std::string_view common_name) {
  CAIRN_ASSIGN_OR_RETURN(X509NamePtr subject, internal::MakeName(common_name, ""));
  CAIRN_ASSIGN_OR_RETURN(EvpPkeyPtr key, internal::GenerateP256Key());
  X509ReqPtr req(X509_REQ_new());
  if (!req) return internal::OpenSslError("new X509_REQ");
  if (X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1 ||
      X509_REQ_set_subject_name(req.get(), subject.get()) != 1 ||
      X509_REQ_set_pubkey(req.get(), key.get()) != 1) {
    return internal::OpenSslError("fill CSR");
  }
  if (X509_REQ_sign(req.get(), key.get(), EVP_sha256()) <= 0) {
    return internal::OpenSslError("sign CSR");
  }
  KeyAndCsr out;
  CAIRN_ASSIGN_OR_RETURN(out.key_pem, internal::PrivateKeyToPem(key.get()));
  CAIRN_ASSIGN_OR_RETURN(out.csr_pem, internal::CsrToPem(req.get()));
  return out;
}

namespace internal {

Result<EvpPkeyPtr> ReadClientCsrKey(std::string_view csr_pem) {
  if (csr_pem.size() > kMaxCsrPemBytes) {
    return Status::InvalidArgument("the CSR is " + std::to_string(csr_pem.size()) +
                                   " bytes; the limit is " + std::to_string(kMaxCsrPemBytes) +
                                   " (16 KiB): " + kWhatToDo);
  }
  CAIRN_ASSIGN_OR_RETURN(BioPtr bio, ReadOnlyBio(csr_pem));
  X509ReqPtr req(PEM_read_bio_X509_REQ(bio.get(), nullptr, RefusePassphrase, nullptr));
  if (!req) {
    return Status::InvalidArgument("the CSR is not a PEM certificate request (OpenSSL: " +
                                   TakeOpenSslReason() + "): " + kWhatToDo);
  }
  EvpPkeyPtr key(X509_REQ_get_pubkey(req.get()));
  if (!key) {
    return Status::InvalidArgument(
        "the CSR's public key cannot be read (OpenSSL: " + TakeOpenSslReason() + "): " + kWhatToDo);
  }
  // The key type is checked before the signature so an unwanted key (a huge
  // RSA modulus, say) costs no verification work.
  if (!IsAcceptedClientKey(key.get())) {
    return Status::InvalidArgument("the CSR's key is " + DescribeKey(key.get()) +
                                   "; the appliance signs only EC P-256 or Ed25519 keys: make a "
                                   "new key of one of those types and a CSR for it");
  }
  // 1: verified; 0: a wrong signature; -1: it could not be checked at all
  // (malformed signature, unknown algorithm). Both failures mean the sender
  // has not shown it holds the private key.
  if (X509_REQ_verify(req.get(), key.get()) != 1) {
    return Status::InvalidArgument(
        "the CSR's self-signature does not verify (OpenSSL: " + TakeOpenSslReason() +
        "), so it was altered or not signed by its own key: generate a fresh CSR and send it "
        "unchanged");
  }
  return key;
}

}  // namespace internal
Status CheckClientCsr(std::string_view csr_pem) {
  return internal::ReadClientCsrKey(csr_pem).status();
}

}  // namespace cairn::pki
