#include "sync/s3/s3_error.h"

#include <initializer_list>

namespace cairn {
namespace {

bool In(std::string_view code, std::initializer_list<std::string_view> codes) {
  for (std::string_view c : codes) {
    if (code == c) return true;
  }
  return false;
}

}  // namespace

std::string SanitizeServerText(std::string_view text, std::size_t max) {
  std::string out(text.substr(0, max));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  if (text.size() > max) out += "...";
  return out;
}

Status S3ErrorToStatus(const S3Error& e, const S3ErrorContext& ctx) {
  std::string msg(ctx.what);
  msg += ": HTTP " + std::to_string(e.http_status);
  if (!e.code.empty()) msg += " " + SanitizeServerText(e.code, 64);
  if (!e.message.empty()) msg += " (" + SanitizeServerText(e.message) + ")";
  const std::string& code = e.code;

  if (e.http_status >= 500 || e.http_status == 429 ||
      In(code, {"SlowDown", "RequestTimeout", "OperationAborted", "ServiceUnavailable",
                "InternalError", "BadDigest", "XAmzContentSHA256Mismatch"})) {
    return Status::Unavailable(msg + "; the server may recover, the request will be retried");
  }
  if (code == "RequestTimeTooSkewed") {
    return Status::PermissionDenied(
        msg +
        "; this machine's clock differs from the server's by more than 15 minutes: "
        "set the clock (NTP)");
  }
  if (code == "NoSuchBucket") {
    return Status::InvalidArgument(msg + "; bucket '" + std::string(ctx.bucket) +
                                   "' does not exist at " + std::string(ctx.endpoint) +
                                   ": create it or fix the target's bucket and endpoint");
  }
  if (In(code,
         {"PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraint"}) ||
      e.http_status == 301 || e.http_status == 307) {
    std::string hint = e.region.empty()
                           ? ""
                           : " (the server says: region " + SanitizeServerText(e.region, 64) + ")";
    return Status::InvalidArgument(msg +
                                   "; the bucket is in another region or behind another "
                                   "endpoint: fix the target's region and endpoint" +
                                   hint);
  }
  if (In(code, {"SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied", "InvalidToken",
                "ExpiredToken", "AllAccessDisabled", "AccountProblem"}) ||
      e.http_status == 401 || e.http_status == 403) {
    std::string advice = "; check access_key/secret_key in " + std::string(ctx.credentials_file);
    if (code == "AccessDenied" || code.empty()) {
      advice += ", and that the bucket's policy lets this user do this";
    }
    return Status::PermissionDenied(msg + advice);
  }
  if (In(code, {"NoSuchKey", "NoSuchUpload", "NoSuchVersion"}) ||
      (code.empty() && e.http_status == 404)) {
    return Status::NotFound(msg);
  }
  return Status::InvalidArgument(msg);
}

}  // namespace cairn
