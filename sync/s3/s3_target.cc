#include "sync/s3/s3_target.h"

#include <algorithm>

#include "core/base/file_system.h"
#include "core/base/log.h"
#include "sync/s3/s3_credentials.h"
#include "sync/target/replica_layout.h"

namespace cairn {
namespace {

// S3's rules for multipart uploads.
constexpr std::uint64_t kMinPartSize = 5ull << 20;
constexpr std::uint64_t kMaxParts = 10000;
// A CA bundle is a few hundred KiB at most.
constexpr std::uint64_t kMaxCaFileBytes = 4ull << 20;
// Versions of one key are a handful (a re-uploaded config); more pages than
// this means the listing is not converging.
constexpr int kMaxVersionPages = 100;

Status CheckPartSize(std::uint64_t part_size) {
  if (part_size >= kMinPartSize) return Status::Ok();
  return Status::InvalidArgument("S3 target: part_size must be at least 5 MiB (S3's minimum)");
}

}  // namespace

std::string S3Target::Describe() const {
  const S3Address& a = client_->address();
  return "s3 " + a.endpoint_url + " " + a.bucket + (a.prefix.empty() ? "" : "/" + a.prefix);
}

Result<ProbeResult> S3Target::Probe() {
  // One request proves the endpoint answers, the signature is accepted and
  // the bucket exists -- and says whether objects can be locked.
  CAIRN_ASSIGN_OR_RETURN(std::optional<S3ObjectLockConfig> config,
                         client_->GetObjectLockConfiguration());
  locks_enabled_ = config && config->enabled;
  ProbeResult r;
  r.supports_locks = *locks_enabled_;
  r.detail = "bucket " + client_->address().bucket + " at " + client_->address().endpoint_url +
             " answers; ";
  if (!*locks_enabled_) {
    r.detail += "no Object Lock";
  } else {
    r.detail += "Object Lock enabled";
    if (!config->default_mode.empty()) {
      r.detail += " (default retention " + config->default_mode + " " +
                  (config->default_years > 0 ? std::to_string(config->default_years) + " years"
                                             : std::to_string(config->default_days) + " days") +
                  ")";
    }
  }
  return r;
}

Result<bool> S3Target::LocksEnabled() {
  if (!locks_enabled_) {
    CAIRN_ASSIGN_OR_RETURN(std::optional<S3ObjectLockConfig> config,
                           client_->GetObjectLockConfiguration());
    locks_enabled_ = config && config->enabled;
  }
  return *locks_enabled_;
}

Status S3Target::Put(std::string_view key, ByteSpan data, const PutOptions& options) {
  CAIRN_RETURN_IF_ERROR(ValidateReplicaKey(key));
  std::optional<S3ObjectLock> lock;
  // A retain-until date already past would be refused by S3 (and locks
  // nothing): the object goes up unlocked.
  const std::int64_t now = client_->clock().NowUnixNanos() / 1'000'000'000;
  if (options.retain_until_unix && *options.retain_until_unix > now) {
    CAIRN_ASSIGN_OR_RETURN(bool locks, LocksEnabled());
    if (locks) lock = S3ObjectLock{"COMPLIANCE", *options.retain_until_unix};
  }
  const std::string object_key = client_->address().ObjectKey(key);
  if (data.size() < multipart_threshold_) {
    return client_->PutObject(object_key, data, lock).status();
  }
  return PutMultipart(object_key, data, lock);
}

Status S3Target::PutMultipart(const std::string& object_key, ByteSpan data,
                              const std::optional<S3ObjectLock>& lock) {
  CAIRN_RETURN_IF_ERROR(CheckPartSize(part_size_));
  if ((data.size() + part_size_ - 1) / part_size_ > kMaxParts) {
    return Status::InvalidArgument("PUT " + client_->address().Describe(object_key) + ": " +
                                   std::to_string(data.size()) + " bytes need more than " +
                                   std::to_string(kMaxParts) + " parts of " +
                                   std::to_string(part_size_) + " bytes; raise part_size");
  }
  CAIRN_ASSIGN_OR_RETURN(std::string upload_id, client_->CreateMultipartUpload(object_key, lock));
  std::vector<S3CompletedPart> parts;
  Status s;
  for (std::uint64_t offset = 0; offset < data.size() && s.ok(); offset += part_size_) {
    const int number = static_cast<int>(parts.size()) + 1;
    auto etag = client_->UploadPart(
        object_key, upload_id, number,
        data.subspan(offset, std::min<std::uint64_t>(part_size_, data.size() - offset)));
    if (etag.ok()) {
      parts.push_back(S3CompletedPart{number, std::move(*etag)});
    } else {
      s = etag.error();
    }
  }
  if (s.ok()) {
    auto done = client_->CompleteMultipartUpload(object_key, upload_id, parts);
    if (!done.ok()) {
      s = done.error();
    } else if (lock) {
      // Ceph RGW 16 ignores the lock headers of CreateMultipartUpload; the
      // retention is set on the new version explicitly (on S3 itself this
      // repeats the date it already has, which COMPLIANCE allows).
      return client_->PutObjectRetention(object_key, done->version_id, *lock);
    }
  }
  if (!s.ok()) {
    // Parts left behind cost storage until a lifecycle rule removes them;
    // the failure that matters is the upload's, returned below.
    Status aborted = client_->AbortMultipartUpload(object_key, upload_id);
    if (!aborted.ok()) {
      Log(LogLevel::kWarn, "s3_multipart_abort_failed",
          {{"key", object_key}, {"error", aborted.message()}});
    }
  }
  return s;
}

Result<Bytes> S3Target::Get(std::string_view key, std::uint64_t max_bytes) {
  CAIRN_RETURN_IF_ERROR(ValidateReplicaKey(key));
  return client_->GetObject(client_->address().ObjectKey(key), max_bytes);
}

Status S3Target::List(std::string_view prefix,
                      const std::function<Status(std::string_view, std::uint64_t)>& on_key) {
  const std::string key_prefix = client_->address().KeyPrefix();
  const std::string list_prefix = key_prefix + std::string(prefix);
  std::string token;
  // One page (at most 1000 keys) in memory at a time.
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(S3ListPage page,
                           client_->ListObjectsV2(list_prefix, token, list_page_size_));
    for (const S3ListedObject& object : page.objects) {
      if (!object.key.starts_with(list_prefix)) continue;  // the server ignored the prefix
      const std::string_view key = std::string_view(object.key).substr(key_prefix.size());
      // Whatever else lives in the bucket is skipped, not an error.
      if (!ValidateReplicaKey(key).ok()) continue;
      CAIRN_RETURN_IF_ERROR(on_key(key, object.size));
    }
    if (!page.truncated) return Status::Ok();
    if (page.next_continuation_token == token) {
      return Status::InvalidArgument("list " + client_->address().Describe(list_prefix) +
                                     ": the server returned the same continuation token twice");
    }
    token = std::move(page.next_continuation_token);
  }
}

Status S3Target::Delete(std::string_view key) {
  CAIRN_RETURN_IF_ERROR(ValidateReplicaKey(key));
  const std::string object_key = client_->address().ObjectKey(key);
  CAIRN_ASSIGN_OR_RETURN(bool locks, LocksEnabled());
  if (!locks) return client_->DeleteObject(object_key);
  return DeleteAllVersions(object_key);
}

Status S3Target::ExtendRetention(std::string_view key, std::int64_t retain_until_unix) {
  CAIRN_RETURN_IF_ERROR(ValidateReplicaKey(key));
  // A date already past locks nothing (and S3 would refuse it).
  if (retain_until_unix <= client_->clock().NowUnixNanos() / 1'000'000'000) return Status::Ok();
  CAIRN_ASSIGN_OR_RETURN(bool locks, LocksEnabled());
  if (!locks) return Status::Ok();
  const std::string object_key = client_->address().ObjectKey(key);
  const S3ObjectLock lock{"COMPLIANCE", retain_until_unix};
  Status s = client_->PutObjectRetention(object_key, "", lock);
  if (s.ok() || s.IsNotFound() || s.retryable()) return s;
  // COMPLIANCE refuses a shorter date: the version may already be retained
  // longer (the bucket's default retention, another snapshot's lock
  // recorded in a catalog since lost). Only then is the refusal no failure.
  auto current = client_->GetObjectRetention(object_key, "");
  if (current.ok() && current->mode == "COMPLIANCE" &&
      current->retain_until_unix >= retain_until_unix) {
    return Status::Ok();
  }
  return s;
}

Status S3Target::DeleteAllVersions(const std::string& object_key) {
  // Object Lock makes the bucket versioned: a plain DELETE would only hide
  // the object behind a delete marker and free nothing. Each version is
  // deleted by id instead; S3 refuses those still retained.
  std::string key_marker, version_marker;
  for (int pages = 0; pages < kMaxVersionPages; ++pages) {
    CAIRN_ASSIGN_OR_RETURN(S3VersionsPage page,
                           client_->ListObjectVersions(object_key, key_marker, version_marker));
    for (const S3ObjectVersion& v : page.versions) {
      if (v.key != object_key) continue;  // a longer key with the same beginning
      CAIRN_RETURN_IF_ERROR(client_->DeleteObject(object_key, v.version_id));
    }
    if (!page.truncated) return Status::Ok();
    key_marker = std::move(page.next_key_marker);
    version_marker = std::move(page.next_version_id_marker);
  }
  return Status::Unavailable("DELETE " + client_->address().Describe(object_key) + ": more than " +
                             std::to_string(kMaxVersionPages) + " pages of versions; try again");
}

Result<S3ClientOptions> S3ClientOptionsFromSettings(const S3TargetSettings& settings) {
  S3ClientOptions o;
  CAIRN_ASSIGN_OR_RETURN(o.address, MakeS3Address(settings.endpoint, settings.bucket,
                                                  settings.prefix, settings.virtual_host));
  o.region = settings.region;
  o.credentials_file = settings.credentials_file.string();
  CAIRN_ASSIGN_OR_RETURN(o.credentials, LoadS3Credentials(settings.credentials_file));
  if (!settings.ca_file.empty()) {
    auto pem = ReadWholeFile(DefaultFileSystem(), settings.ca_file, kMaxCaFileBytes);
    if (!pem.ok()) {
      return Status::InvalidArgument("S3 target: CA file: " + pem.error().message());
    }
    o.ca_pem.assign(AsChars(*pem));
  }
  return o;
}

Result<std::unique_ptr<ReplicaTarget>> OpenS3Target(const S3TargetSettings& settings) {
  CAIRN_RETURN_IF_ERROR(CheckPartSize(settings.part_size));
  CAIRN_ASSIGN_OR_RETURN(S3ClientOptions options, S3ClientOptionsFromSettings(settings));
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<S3Client> client, S3Client::Create(std::move(options)));
  return std::unique_ptr<ReplicaTarget>(
      new S3Target(std::move(client), settings.multipart_threshold, settings.part_size));
}

}  // namespace cairn
