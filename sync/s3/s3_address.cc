#include "sync/s3/s3_address.h"

#include <algorithm>
#include <cctype>

#include "sync/s3/sigv4.h"

namespace cairn {
namespace {

Status Bad(const std::string& what) { return Status::InvalidArgument("S3 target: " + what); }

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

Status CheckBucket(std::string_view bucket, bool virtual_host) {
  const bool shape_ok =
      bucket.size() >= 3 && bucket.size() <= 63 && IsLowerAlnum(bucket.front()) &&
      IsLowerAlnum(bucket.back()) && std::all_of(bucket.begin(), bucket.end(), [&](char c) {
        return IsLowerAlnum(c) || c == '.' || c == '-' || (c == '_' && !virtual_host);
      });
  if (!shape_ok) {
    return Bad("bucket name '" + std::string(bucket.substr(0, 80)) +
               "' must be 3..63 characters of a-z 0-9 . -" + (virtual_host ? "" : " _") +
               ", starting and ending with a letter or digit");
  }
  return Status::Ok();
}

Status CheckPrefix(std::string_view prefix) {
  if (prefix.empty()) return Status::Ok();
  const bool ok = prefix.size() <= 512 && prefix.front() != '/' && prefix.back() != '/' &&
                  prefix.find("//") == std::string_view::npos &&
                  std::none_of(prefix.begin(), prefix.end(),
                               [](unsigned char c) { return c < 0x20 || c == 0x7f; });
  if (!ok) {
    return Bad("prefix '" + std::string(prefix.substr(0, 80)) +
               "' must be at most 512 bytes with no leading, trailing or doubled '/' and no "
               "control characters (e.g. site-a or backups/site-a)");
  }
  return Status::Ok();
}

}  // namespace

std::string S3Address::KeyPrefix() const { return prefix.empty() ? "" : prefix + "/"; }

std::string S3Address::ObjectKey(std::string_view key) const {
  return KeyPrefix() + std::string(key);
}

std::string S3Address::ObjectPath(std::string_view object_key) const {
  const std::string encoded = UriEncodePath(object_key);
  return virtual_host ? "/" + encoded : "/" + UriEncode(bucket) + "/" + encoded;
}

std::string S3Address::BucketPath() const { return virtual_host ? "/" : "/" + UriEncode(bucket); }

std::string S3Address::Describe(std::string_view object_key) const {
  return "s3://" + bucket + "/" + std::string(object_key);
}

Result<S3Address> MakeS3Address(std::string_view endpoint_url, std::string_view bucket,
                                std::string_view prefix, bool virtual_host) {
  S3Address a;
  auto endpoint = ParseHttpUrl(endpoint_url);
  if (!endpoint.ok()) return Bad("endpoint: " + endpoint.error().message());
  a.endpoint = *endpoint;
  a.endpoint_url = std::string(endpoint_url);
  CAIRN_RETURN_IF_ERROR(CheckBucket(bucket, virtual_host));
  CAIRN_RETURN_IF_ERROR(CheckPrefix(prefix));
  a.bucket = std::string(bucket);
  a.prefix = std::string(prefix);
  a.virtual_host = virtual_host;
  if (virtual_host) {
    if (IsIpLiteral(a.endpoint.host)) {
      return Bad("virtual-host addressing needs a DNS name in the endpoint (got the address " +
                 a.endpoint.host + "); use path style (virtual_host = false)");
    }
    if (a.endpoint.tls && bucket.find('.') != std::string_view::npos) {
      return Bad("bucket '" + a.bucket +
                 "' has dots, which no TLS certificate of the endpoint can cover in "
                 "virtual-host style; use path style (virtual_host = false)");
    }
    a.endpoint.host = a.bucket + "." + a.endpoint.host;
  }
  return a;
}

}  // namespace cairn
