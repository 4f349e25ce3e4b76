#include "core/pki/certificate_builder.h"

#include <openssl/err.h>
#include <openssl/objects.h>

#include <ctime>

namespace cairn::pki::internal {
namespace {

// Hostname syntax as TLS clients match it (RFC 1123 labels), plus a leading
// "*." wildcard label. Anything else would either never match or be read
// differently by different clients.
bool IsValidDnsName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  if (name.starts_with("*.")) name.remove_prefix(2);
  std::size_t start = 0;
  while (true) {
    std::size_t dot = name.find('.', start);
    std::string_view label =
        name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      bool ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok) return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

Status AddNameEntry(X509_NAME* name, int nid, std::string_view value) {
  if (X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(value.data()),
                                 static_cast<int>(value.size()), -1, 0) != 1) {
    // Length and control characters were checked already, so what is left
    // is text OpenSSL cannot take as UTF-8.
    return Status::InvalidArgument("\"" + std::string(value) + "\" is not valid UTF-8 for " +
                                   OBJ_nid2ln(nid) + " (OpenSSL: " + TakeOpenSslReason() +
                                   "); use plain UTF-8 text");
  }
  return Status::Ok();
}

Status AddGeneralName(GENERAL_NAMES* names, int type, ASN1_STRING* value) {
  GeneralNamePtr name(GENERAL_NAME_new());
  if (!name) {
    ASN1_STRING_free(value);
    return OpenSslError("new GENERAL_NAME");
  }
  GENERAL_NAME_set0_value(name.get(), type, value);  // takes `value`
  if (sk_GENERAL_NAME_push(names, name.get()) == 0) return OpenSslError("push GENERAL_NAME");
  name.release();  // now owned by `names`
  return Status::Ok();
}

}  // namespace

Status ValidateNameField(std::string_view value, std::string_view field) {
  if (value.empty()) {
    return Status::InvalidArgument("the " + std::string(field) + " is empty; give a name");
  }
  if (value.size() > kMaxNameFieldBytes) {
    return Status::InvalidArgument("the " + std::string(field) + " is " +
                                   std::to_string(value.size()) + " bytes; the limit is " +
                                   std::to_string(kMaxNameFieldBytes) + ": choose a shorter name");
  }
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return Status::InvalidArgument("the " + std::string(field) +
                                     " contains a control character; use printable text");
    }
  }
  return Status::Ok();
}

Result<X509NamePtr> MakeName(std::string_view common_name, std::string_view organization) {
  CAIRN_RETURN_IF_ERROR(ValidateNameField(common_name, "common name"));
  if (!organization.empty()) {
    CAIRN_RETURN_IF_ERROR(ValidateNameField(organization, "organization"));
  }
  X509NamePtr name(X509_NAME_new());
  if (!name) return OpenSslError("new X509_NAME");
  if (!organization.empty()) {
    CAIRN_RETURN_IF_ERROR(AddNameEntry(name.get(), NID_organizationName, organization));
  }
  CAIRN_RETURN_IF_ERROR(AddNameEntry(name.get(), NID_commonName, common_name));
  return name;
}

Result<X509Ptr> NewCertificate(const X509_NAME* subject, const X509_NAME* issuer,
                               EVP_PKEY* subject_key, std::chrono::seconds validity) {
  if (validity.count() <= 0 || validity > kMaxValidity) {
    return Status::InvalidArgument("certificate validity of " + std::to_string(validity.count()) +
                                   " seconds is out of range; give between 1 second and " +
                                   std::to_string(kMaxValidity.count()) + " seconds (30 years)");
  }
  X509Ptr cert(X509_new());
  if (!cert) return OpenSslError("new X509");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1) return OpenSslError("set version");

  // Up to 128 random bits (RFC 5280 allows 20 octets; the CA/Browser Forum
  // asks for at least 64 random bits). Zero is not a valid serial.
  BignumPtr bn(BN_new());
  if (!bn) return OpenSslError("new BIGNUM");
  do {
    if (BN_rand(bn.get(), 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1) {
      return OpenSslError("random serial");
    }
  } while (BN_is_zero(bn.get()));
  Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!serial || X509_set_serialNumber(cert.get(), serial.get()) != 1) {
    return OpenSslError("set serial");
  }

  // One reading of the clock for both ends of the window.
  std::time_t now = std::time(nullptr);
  constexpr long kSecondsPerDay = 24 * 60 * 60;
  long days = static_cast<long>(validity.count() / kSecondsPerDay);
  long seconds = static_cast<long>(validity.count() % kSecondsPerDay);
  if (X509_time_adj_ex(X509_getm_notBefore(cert.get()), 0,
                       -static_cast<long>(kClockSkewAllowance.count()), &now) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), static_cast<int>(days), seconds, &now) ==
          nullptr) {
    return OpenSslError("set validity");
  }

  if (X509_set_subject_name(cert.get(), subject) != 1 ||
      X509_set_issuer_name(cert.get(), issuer) != 1) {
    return OpenSslError("set names");
  }
  if (X509_set_pubkey(cert.get(), subject_key) != 1) return OpenSslError("set public key");
  return cert;
}

Status AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509ExtensionPtr ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value));
  if (!ext) return OpenSslError(std::string("make extension ") + OBJ_nid2sn(nid));
  if (X509_add_ext(cert, ext.get(), -1) != 1) {
    return OpenSslError(std::string("add extension ") + OBJ_nid2sn(nid));
  }
  return Status::Ok();
}

Status AddSubjectAltNames(X509* cert, const std::vector<std::string>& dns_names,
                          const std::vector<std::string>& ip_addresses) {
  std::size_t total = dns_names.size() + ip_addresses.size();
  if (total == 0) {
    // Current TLS clients ignore the CN for hostname checks, so a server
    // certificate without SANs would be refused by every agent.
    return Status::InvalidArgument(
        "a server certificate needs at least one DNS name or IP address; give the names agents "
        "use to reach the appliance");
  }
  if (total > kMaxSubjectAltNames) {
    return Status::InvalidArgument("a server certificate may carry at most " +
                                   std::to_string(kMaxSubjectAltNames) +
                                   " DNS names and IP addresses, not " + std::to_string(total));
  }
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  if (!names) return OpenSslError("new GENERAL_NAMES");
  for (const std::string& dns : dns_names) {
    if (!IsValidDnsName(dns)) {
      return Status::InvalidArgument(
          "\"" + dns +
          "\" is not a valid DNS name; use letters, digits, '-' and '.' (optionally a leading "
          "\"*.\"), or list an IP address among the IP addresses instead");
    }
    Asn1StringPtr ia5(ASN1_IA5STRING_new());
    if (!ia5 || ASN1_STRING_set(ia5.get(), dns.data(), static_cast<int>(dns.size())) != 1) {
      return OpenSslError("make DNS name");
    }
    CAIRN_RETURN_IF_ERROR(AddGeneralName(names.get(), GEN_DNS, ia5.release()));
  }
  for (const std::string& ip : ip_addresses) {
    // a2i_IPADDRESS reads a C string; an embedded NUL would truncate it.
    ASN1_OCTET_STRING* octets =
        ip.find('\0') == std::string::npos ? a2i_IPADDRESS(ip.c_str()) : nullptr;
    if (octets == nullptr) {
      ERR_clear_error();
      return Status::InvalidArgument("\"" + ip +
                                     "\" is not an IP address; give IPv4 dotted quads or IPv6 "
                                     "text, and list host names among the DNS names instead");
    }
    CAIRN_RETURN_IF_ERROR(AddGeneralName(names.get(), GEN_IPADD, octets));
  }
  // Not critical: the subject carries a CN (RFC 5280 4.2.1.6).
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return OpenSslError("add subjectAltName");
  }
  return Status::Ok();
}

Status SignCertificate(X509* cert, EVP_PKEY* issuer_key) {
  // EdDSA signs the message itself and takes no separate digest.
  bool eddsa = EVP_PKEY_is_a(issuer_key, "ED25519") || EVP_PKEY_is_a(issuer_key, "ED448");
  if (X509_sign(cert, issuer_key, eddsa ? nullptr : EVP_sha256()) <= 0) {
    return OpenSslError("sign certificate");
  }
  return Status::Ok();
}

}  // namespace cairn::pki::internal
