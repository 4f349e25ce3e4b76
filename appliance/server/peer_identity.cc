#include "appliance/server/peer_identity.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cctype>

#include "core/base/c_deleter.h"

namespace cairn {
namespace {

void FreeOpensslString(char* p) { OPENSSL_free(p); }
void FreeUtf8(unsigned char* p) { OPENSSL_free(p); }

// The first entry of `nid` in `name` as UTF-8; "" when absent or unreadable.
std::string NameEntry(const X509_NAME* name, int nid) {
  if (name == nullptr) return "";
  int index = X509_NAME_get_index_by_NID(name, nid, -1);
  if (index < 0) return "";
  const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, index);
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(entry);
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, data);
  CHandle<unsigned char, FreeUtf8> owned(utf8);
  if (len < 0 || utf8 == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(len));
}

std::string SerialHex(const X509* cert) {
  const ASN1_INTEGER* serial = X509_get0_serialNumber(cert);
  CHandle<BIGNUM, BN_free> bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (bn == nullptr) return "";
  CHandle<char, FreeOpensslString> hex(BN_bn2hex(bn.get()));
  if (hex == nullptr) return "";
  // BN_bn2hex writes uppercase and pads to whole bytes ("0A1B"); the contract
  // is lowercase without leading zeros so that a serial prints one way only.
  std::string out;
  std::string_view in(hex.get());
  if (!in.empty() && in.front() == '-') {
    out.push_back('-');
    in.remove_prefix(1);
  }
  std::size_t first = in.find_first_not_of('0');
  in = first == std::string_view::npos ? std::string_view("0") : in.substr(first);
  for (char c : in) out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return out;
}

std::string Sha256Hex(const X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &len) != 1) return "";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xf]);
  }
  return out;
}

}  // namespace

PeerIdentity PeerIdentityFromCertificate(const X509* cert) {
  PeerIdentity id;
  if (cert == nullptr) return id;
  id.has_certificate = true;
  const X509_NAME* subject = X509_get_subject_name(cert);
  id.common_name = NameEntry(subject, NID_commonName);
  id.organization = NameEntry(subject, NID_organizationName);
  id.serial_hex = SerialHex(cert);
  id.sha256_hex = Sha256Hex(cert);
  return id;
}

PeerIdentity PeerIdentityFromSsl(const SSL* ssl) {
  if (ssl == nullptr) return {};
  const X509* cert = SSL_get0_peer_certificate(ssl);
  // verify_result is X509_V_OK also when no certificate was sent, hence both
  // checks; with verify_peer set a failing one never completes the handshake,
  // this is the second lock on the door.
  if (cert == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return {};
  return PeerIdentityFromCertificate(cert);
}

}  // namespace cairn
