// S3Target: a replica in an S3 bucket (under an optional prefix), through
// the S3 REST API signed with SigV4 (sync/s3/sigv4.h, s3_client.h).
//
// Objects up to multipart_threshold go up in one PUT, larger ones as a
// multipart upload in parts of part_size (aborted when any step fails, so no
// half-written object ever shows under its key). With PutOptions::
// retain_until_unix set and Object Lock enabled on the bucket (learnt by
// Probe, or on first need), objects are written in COMPLIANCE mode retained
// until then (a multipart object also through PutObjectRetention: Ceph RGW
// 16 ignores lock headers on CreateMultipartUpload). Delete on such a
// (necessarily versioned) bucket deletes every version of the key for good,
// and is PermissionDenied while one is retained; on other buckets it is one
// DELETE. ExtendRetention sets a later COMPLIANCE retain-until on the key's
// current version (PutObjectRetention) -- how a chunk uploaded for one
// snapshot comes to be kept as long as a later snapshot's lock.
//
// Thread-safety: one object per thread (ReplicaTarget).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "sync/s3/s3_client.h"
#include "sync/target/replica_target.h"
#include "sync/target/target_spec.h"

namespace cairn {

class S3Target final : public ReplicaTarget {
 public:
  S3Target(std::unique_ptr<S3Client> client, std::uint64_t multipart_threshold,
           std::uint64_t part_size)
      : client_(std::move(client)),
        multipart_threshold_(multipart_threshold),
        part_size_(part_size) {}

  std::string Describe() const override;
  Result<ProbeResult> Probe() override;
  Status Put(std::string_view key, ByteSpan data, const PutOptions& options) override;
  Result<Bytes> Get(std::string_view key, std::uint64_t max_bytes) override;
  Status List(std::string_view prefix,
              const std::function<Status(std::string_view, std::uint64_t)>& on_key) override;
  Status Delete(std::string_view key) override;
  Status ExtendRetention(std::string_view key, std::int64_t retain_until_unix) override;

  S3Client& client() { return *client_; }
  // Keys per ListObjectsV2 page (1..1000, default 1000), lowered by tests
  // to make List page.
  void TEST_set_list_page_size(int keys) { list_page_size_ = keys; }

 private:
  // Whether the bucket has Object Lock enabled, asked once per object.
  Result<bool> LocksEnabled();
  Status PutMultipart(const std::string& object_key, ByteSpan data,
                      const std::optional<S3ObjectLock>& lock);
  Status DeleteAllVersions(const std::string& object_key);

  std::unique_ptr<S3Client> client_;
  std::uint64_t multipart_threshold_;
  std::uint64_t part_size_;
  std::optional<bool> locks_enabled_;
  int list_page_size_ = 1000;
};

// The client options a target's settings stand for: the address checked,
// the credentials file read (s3_credentials.h), the CA file read when set.
// InvalidArgument naming what is wrong.
Result<S3ClientOptions> S3ClientOptionsFromSettings(const S3TargetSettings& settings);

// Reads the credentials file (TOML: access_key, secret_key) and prepares a
// client; does not connect (Probe does). InvalidArgument for a missing or
// malformed credentials file, naming it and the expected format.
Result<std::unique_ptr<ReplicaTarget>> OpenS3Target(const S3TargetSettings& settings);

}  // namespace cairn
