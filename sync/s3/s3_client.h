// S3Client: the S3 REST operations Cairn's replication uses, one request
// each, signed with SigV4 (sigv4.h) and sent on one kept-alive HTTP(S)
// connection (core/net HttpsClient; plain http:// for on-site servers).
//
// Every request carries Content-Length and x-amz-content-sha256 = the hex
// SHA-256 of its whole body (never STREAMING-*/aws-chunked: Ceph 16 refuses
// streamed checksums); uploads also carry Content-MD5. Every response body
// is bounded before it is read: an object by the caller's max_bytes (a
// larger Content-Length is refused before any body byte), XML by
// kMaxS3XmlBytes, error bodies by 64 KiB. Refusals become a Status as
// s3_error.h describes; a single request is not retried here (the engine
// retries with backoff) beyond HttpsClient's one transparent reconnect of a
// kept-alive connection the server had closed.
//
// Object keys passed here are full object keys (S3Address::ObjectKey has
// already applied the prefix).
//
// Thread-safety: one object per thread (it owns one connection).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/clock.h"
#include "core/base/status.h"
#include "core/net/https_client.h"
#include "sync/s3/s3_address.h"
#include "sync/s3/s3_error.h"
#include "sync/s3/s3_xml.h"
#include "sync/s3/sigv4.h"

namespace cairn {

struct S3ClientOptions {
  S3Address address;
  std::string region = "us-east-1";
  SigV4Credentials credentials;
  std::string credentials_file;  // named in PermissionDenied messages
  // https trust anchors (PEM); empty: the system's CA store.
  std::string ca_pem;
  // Per network step, as HttpsClientOptions::timeout. Sending one request
  // body is one step: a part of part_size must go through the link within
  // it (16 MiB at 10 Mbit/s takes 14 s).
  std::chrono::milliseconds timeout{60000};
  // Connect here instead of the endpoint's host (HttpsClientOptions::
  // connect_host): lets tests reach bucket.localhost without DNS for it.
  std::string TEST_connect_host;
  const Clock* clock = &DefaultClock();  // for x-amz-date
};

// Object Lock settings sent with an upload.
struct S3ObjectLock {
  std::string mode = "COMPLIANCE";
  std::int64_t retain_until_unix = 0;
};

struct S3PutResult {
  std::string etag;
  std::string version_id;  // set when the bucket is versioned
};

struct S3ObjectHead {
  std::uint64_t size = 0;
  std::string etag;  // "<hex>-<parts>" for a multipart upload
  std::string version_id;
  std::string lock_mode;          // x-amz-object-lock-mode, "" when unlocked
  std::string lock_retain_until;  // x-amz-object-lock-retain-until-date
};

class S3Client {
 public:
  // Validates the options and prepares the connection; does not connect.
  static Result<std::unique_ptr<S3Client>> Create(S3ClientOptions options);

  const S3Address& address() const { return options_.address; }
  const std::string& credentials_file() const { return options_.credentials_file; }
  const Clock& clock() const { return *options_.clock; }

  // Bucket operations. CreateBucket is for tests and tooling: with
  // `object_lock` the bucket gets Object Lock enabled (and versioning);
  // AlreadyExists when it is already ours.
  Status CreateBucket(bool object_lock);
  // The bucket's Object Lock configuration; nullopt when it has none
  // (ObjectLockConfigurationNotFoundError).
  Result<std::optional<S3ObjectLockConfig>> GetObjectLockConfiguration();

  // Object operations.
  Result<S3PutResult> PutObject(std::string_view key, ByteSpan data,
                                const std::optional<S3ObjectLock>& lock);
  Result<std::string> CreateMultipartUpload(std::string_view key,
                                            const std::optional<S3ObjectLock>& lock);
  // Returns the part's ETag.
  Result<std::string> UploadPart(std::string_view key, std::string_view upload_id, int part_number,
                                 ByteSpan data);
  Result<S3PutResult> CompleteMultipartUpload(std::string_view key, std::string_view upload_id,
                                              const std::vector<S3CompletedPart>& parts);
  Status AbortMultipartUpload(std::string_view key, std::string_view upload_id);
  // InvalidArgument when the object is larger than max_bytes (refused from
  // its Content-Length, before the body is read); NotFound when absent.
  Result<Bytes> GetObject(std::string_view key, std::uint64_t max_bytes);
  Result<S3ObjectHead> HeadObject(std::string_view key, std::string_view version_id = "");
  // One page of at most max_keys (1..1000) keys under `prefix`; pass the
  // previous page's next_continuation_token to go on.
  Result<S3ListPage> ListObjectsV2(std::string_view prefix, std::string_view continuation_token,
                                   int max_keys = 1000);
  Result<S3VersionsPage> ListObjectVersions(std::string_view prefix, std::string_view key_marker,
                                            std::string_view version_id_marker);
  // Deletes the object, or with a version id that version for good. A
  // version under Object Lock retention is PermissionDenied saying so.
  Status DeleteObject(std::string_view key, std::string_view version_id = "");
  Result<S3Retention> GetObjectRetention(std::string_view key, std::string_view version_id);
  // Sets one version's retention (PUT ?retention): how a multipart upload
  // gets its lock on servers that ignore lock headers on
  // CreateMultipartUpload (Ceph RGW 16). Repeating the date it already has,
  // or extending it, is allowed in COMPLIANCE mode; shortening is refused.
  Status PutObjectRetention(std::string_view key, std::string_view version_id,
                            const S3ObjectLock& lock);

 private:
  struct Request;
  struct Response;
  explicit S3Client(S3ClientOptions options, std::unique_ptr<HttpsClient> http)
      : options_(std::move(options)), http_(std::move(http)) {}

  // Signs and sends `request`; a 2xx answer, or an error answer whose code
  // is in request.tolerated, comes back as a Response, anything else as the
  // Status of S3ErrorToStatus.
  Result<Response> Execute(const Request& request);
  S3ErrorContext ErrorContext(std::string_view what) const;

  S3ClientOptions options_;
  std::unique_ptr<HttpsClient> http_;
};

}  // namespace cairn
