#include "sync/s3/sigv4.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>

namespace cairn {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kService = "s3";

std::string OpenSslFailure(std::string_view what) {
  std::string msg = "SigV4: " + std::string(what) + " failed";
  char buf[256];
  while (unsigned long e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof buf);
    msg += ": ";
    msg += buf;
  }
  return msg;
}

using Digest = std::array<std::uint8_t, 32>;

Result<Digest> HmacSha256(ByteSpan key, std::string_view data) {
  Digest out;
  std::size_t out_len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
                out.size(), &out_len) == nullptr ||
      out_len != out.size()) {
    return Status::IoError(OpenSslFailure("HMAC-SHA256"));
  }
  return out;
}

Result<std::string> DigestOf(const EVP_MD* md, ByteSpan data, std::string_view name) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out;
  unsigned int len = 0;
  if (md == nullptr || EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1) {
    return Status::IoError(OpenSslFailure(name));
  }
  return std::string(reinterpret_cast<const char*>(out.data()), len);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Trims the value and collapses inner runs of spaces to one (SigV4's
// "Trimall").
std::string TrimAll(std::string_view v) {
  std::string out;
  bool pending_space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

// Lowercased names with trimmed values, sorted by name; a repeated name's
// values joined with ',' in the order given.
HttpParams CanonicalHeaders(const HttpParams& headers) {
  HttpParams out;
  for (const auto& [name, value] : headers) {
    std::string lname = Lower(name);
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& h) { return h.first == lname; });
    if (it != out.end()) {
      it->second += "," + TrimAll(value);
    } else {
      out.emplace_back(std::move(lname), TrimAll(value));
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

std::string Scope(std::string_view amz_date, std::string_view region) {
  return std::string(amz_date.substr(0, 8)) + "/" + std::string(region) + "/" +
         std::string(kService) + "/aws4_request";
}

}  // namespace

std::string UriEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

std::string UriEncodePath(std::string_view path) {
  std::string out;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = path.find('/', start);
    out += UriEncode(path.substr(start, slash - start));
    if (slash == std::string_view::npos) break;
    out += '/';
    start = slash + 1;
  }
  return out;
}

std::string FormatUtc(std::int64_t unix_seconds, const char* format) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof buf, format, &tm);
  return std::string(buf, n);
}

std::string AmzDate(std::int64_t unix_seconds) { return FormatUtc(unix_seconds, "%Y%m%dT%H%M%SZ"); }

HttpParams EncodeQuery(const HttpParams& query) {
  HttpParams encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) encoded.emplace_back(UriEncode(name), UriEncode(value));
  std::sort(encoded.begin(), encoded.end());
  return encoded;
}

std::string CanonicalQueryString(const HttpParams& query) {
  std::string out;
  for (const auto& [name, value] : EncodeQuery(query)) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string SignedHeaders(const HttpParams& headers) {
  std::string out;
  for (const auto& [name, value] : CanonicalHeaders(headers)) {
    if (!out.empty()) out += ';';
    out += name;
  }
  return out;
}

std::string CanonicalRequest(const SigV4Request& request) {
  std::string out = request.method + "\n" + request.canonical_uri + "\n" +
                    CanonicalQueryString(request.query) + "\n";
  for (const auto& [name, value] : CanonicalHeaders(request.headers)) {
    out += name + ":" + value + "\n";
  }
  out += "\n" + SignedHeaders(request.headers) + "\n" + request.payload_sha256_hex;
  return out;
}

Result<std::string> StringToSign(std::string_view amz_date, std::string_view region,
                                 std::string_view canonical_request) {
  CAIRN_ASSIGN_OR_RETURN(std::string hash, PayloadSha256Hex(AsBytes(canonical_request)));
  return std::string(kAlgorithm) + "\n" + std::string(amz_date) + "\n" + Scope(amz_date, region) +
         "\n" + hash;
}

Result<std::string> SigV4Signature(std::string_view secret_key, std::string_view amz_date,
                                   std::string_view region, std::string_view string_to_sign) {
  const std::string date_key = "AWS4" + std::string(secret_key);
  CAIRN_ASSIGN_OR_RETURN(Digest k_date, HmacSha256(AsBytes(date_key), amz_date.substr(0, 8)));
  CAIRN_ASSIGN_OR_RETURN(Digest k_region, HmacSha256(k_date, region));
  CAIRN_ASSIGN_OR_RETURN(Digest k_service, HmacSha256(k_region, kService));
  CAIRN_ASSIGN_OR_RETURN(Digest k_signing, HmacSha256(k_service, "aws4_request"));
  CAIRN_ASSIGN_OR_RETURN(Digest signature, HmacSha256(k_signing, string_to_sign));
  return ToHex(signature);
}

Result<std::string> SigV4Authorization(const SigV4Credentials& credentials, std::string_view region,
                                       std::string_view amz_date, const SigV4Request& request) {
  CAIRN_ASSIGN_OR_RETURN(std::string to_sign,
                         StringToSign(amz_date, region, CanonicalRequest(request)));
  CAIRN_ASSIGN_OR_RETURN(std::string signature,
                         SigV4Signature(credentials.secret_key, amz_date, region, to_sign));
  return std::string(kAlgorithm) + " Credential=" + credentials.access_key + "/" +
         Scope(amz_date, region) + ", SignedHeaders=" + SignedHeaders(request.headers) +
         ", Signature=" + signature;
}

Result<std::string> PayloadSha256Hex(ByteSpan payload) {
  CAIRN_ASSIGN_OR_RETURN(std::string digest, DigestOf(EVP_sha256(), payload, "SHA-256"));
  return ToHex(AsBytes(digest));
}

Result<std::string> ContentMd5Base64(ByteSpan payload) {
  // Content-MD5 is S3's integrity check on the body (and required with
  // Object Lock headers); MD5's weakness does not matter here, the SHA-256
  // in the signature is what authenticates the body.
  CAIRN_ASSIGN_OR_RETURN(std::string digest, DigestOf(EVP_md5(), payload, "MD5"));
  std::array<unsigned char, 4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1> out;
  const int n = EVP_EncodeBlock(out.data(), reinterpret_cast<const unsigned char*>(digest.data()),
                                static_cast<int>(digest.size()));
  return std::string(reinterpret_cast<const char*>(out.data()), static_cast<std::size_t>(n));
}

}  // namespace cairn
