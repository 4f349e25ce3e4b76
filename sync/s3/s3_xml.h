// The XML of the S3 REST API that S3Client reads and writes, parsed with
// pugixml. Every answer is untrusted: its size is bounded before parsing
// (kMaxS3XmlBytes; the caller refuses larger bodies), keys longer than S3's
// 1024 bytes and numbers that do not parse are refused, and any document
// that is not the expected shape is InvalidArgument saying what was wrong
// (callers add which request it answered). pugixml expands no entities
// beyond XML's five and parses no DOCTYPE, so no answer can grow in memory
// past its own size.
//
// Namespaces: S3 answers in the default namespace
// http://s3.amazonaws.com/doc/2006-03-01/; element names are matched
// without it, as every S3 client does.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "sync/s3/s3_error.h"

namespace cairn {

inline constexpr std::size_t kMaxS3XmlBytes = 8 << 20;  // a 1000-key list page is ~0.3 MiB
inline constexpr std::size_t kMaxS3KeyBytes = 1024;     // S3's own limit

struct S3ListedObject {
  std::string key;
  std::uint64_t size = 0;
};

// One page of ListObjectsV2 (ListBucketResult).
struct S3ListPage {
  std::vector<S3ListedObject> objects;
  bool truncated = false;
  std::string next_continuation_token;  // set when truncated
};

struct S3ObjectVersion {
  std::string key;
  std::string version_id;
  bool delete_marker = false;
};

// One page of ListObjectVersions (ListVersionsResult), versions and delete
// markers in the order S3 gives them (by key, newest first).
struct S3VersionsPage {
  std::vector<S3ObjectVersion> versions;
  bool truncated = false;
  std::string next_key_marker;
  std::string next_version_id_marker;
};

struct S3ObjectLockConfig {
  bool enabled = false;      // <ObjectLockEnabled>Enabled</ObjectLockEnabled>
  std::string default_mode;  // "COMPLIANCE", "GOVERNANCE" or "" (no default rule)
  int default_days = 0;
  int default_years = 0;
};

struct S3Retention {
  std::string mode;          // "COMPLIANCE" or "GOVERNANCE"
  std::string retain_until;  // ISO 8601 as the server wrote it
  // The same, in whole unix seconds (a fraction the server adds is dropped);
  // 0 when the answer has no date.
  std::int64_t retain_until_unix = 0;
};

struct S3CompletedPart {
  int part_number = 0;
  std::string etag;  // as UploadPart returned it, quotes included
};

// <Error><Code>..</Code><Message>..</Message></Error>; http_status is left 0
// for the caller to fill in.
Result<S3Error> ParseS3ErrorXml(std::string_view xml);
Result<S3ListPage> ParseListObjectsV2(std::string_view xml);
Result<S3VersionsPage> ParseListObjectVersions(std::string_view xml);
// The UploadId of an InitiateMultipartUploadResult.
Result<std::string> ParseInitiateMultipartUpload(std::string_view xml);
Result<S3ObjectLockConfig> ParseObjectLockConfiguration(std::string_view xml);
Result<S3Retention> ParseObjectRetention(std::string_view xml);
// CompleteMultipartUpload may answer 200 and still have failed: the body is
// then an <Error>, returned here; nullopt for a CompleteMultipartUploadResult.
Result<std::optional<S3Error>> ParseCompleteMultipartUpload(std::string_view xml);

// Request bodies.
std::string CompleteMultipartUploadXml(const std::vector<S3CompletedPart>& parts);
// <Retention><Mode>..</Mode><RetainUntilDate>..</RetainUntilDate></Retention>
// for PutObjectRetention.
std::string RetentionXml(std::string_view mode, std::string_view retain_until);
// A CreateBucketConfiguration naming the region, or "" for us-east-1 (which
// S3 wants without one).
std::string CreateBucketXml(std::string_view region);

}  // namespace cairn
