// S3Error and S3ErrorToStatus: how an S3 refusal becomes a Cairn Status
// that says what to do. The codes S3 returns (the <Error><Code> of the
// response body, or only the HTTP status for HEAD and oversized bodies) are
// sorted by who can fix them:
//
//   Unavailable       5xx, 429, SlowDown, RequestTimeout, OperationAborted,
//                     BadDigest / XAmzContentSHA256Mismatch (damaged in
//                     transit): the engine retries with backoff
//   PermissionDenied  SignatureDoesNotMatch, InvalidAccessKeyId, AccessDenied,
//                     any other 403, RequestTimeTooSkewed: a person must act
//                     (the message names the credentials file, or the clock)
//   InvalidArgument   NoSuchBucket (naming the bucket: create it or fix the
//                     target), a wrong region or endpoint, every other 4xx
//   NotFound          NoSuchKey, NoSuchUpload, NoSuchVersion, a bare 404
//
// Text from the server is untrusted: it is cut to a bounded length and
// control characters are replaced before it goes into a message.
// Thread-safety: plain values and pure functions.
#pragma once

#include <string>
#include <string_view>

#include "core/base/status.h"

namespace cairn {

struct S3Error {
  unsigned http_status = 0;
  std::string code;     // "NoSuchKey"; empty when the response had no error body
  std::string message;  // the server's own words, may be empty
  std::string region;   // x-amz-bucket-region of a redirect, when given
};

struct S3ErrorContext {
  std::string_view what;              // "PUT s3://bucket/key", first in the message
  std::string_view bucket;            // for NoSuchBucket
  std::string_view endpoint;          // "http://127.0.0.1:7480", for NoSuchBucket
  std::string_view credentials_file;  // for refused credentials
};

Status S3ErrorToStatus(const S3Error& error, const S3ErrorContext& context);

// Server text made safe for a message: at most `max` bytes, control
// characters as '?'.
std::string SanitizeServerText(std::string_view text, std::size_t max = 300);

}  // namespace cairn
