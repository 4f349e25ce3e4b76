#include "sync/s3/s3_client.h"

#include <charconv>

namespace cairn {
namespace {

// Error bodies are a few hundred bytes; a larger one is not read (the HTTP
// status alone decides).
constexpr std::uint64_t kMaxErrorBody = 64 * 1024;

// The query as sent: the canonical order, and a bare "?uploads" for a
// subresource without a value (the server signs it as "uploads=").
std::string WireQuery(const HttpParams& query) {
  if (query.empty()) return "";
  std::string out = "?";
  for (const auto& [name, value] : EncodeQuery(query)) {
    if (out.size() > 1) out += '&';
    out += name;
    if (!value.empty()) out += "=" + value;
  }
  return out;
}

std::string Header(const HttpsResponse& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? "" : it->second;
}

std::optional<std::uint64_t> ContentLength(const HttpsResponse& r) {
  const std::string v = Header(r, "content-length");
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
  return n;
}

// "2030-01-01T00:00:00Z", as Object Lock dates are written.
std::string RetainUntil(const S3ObjectLock& lock) {
  return FormatUtc(lock.retain_until_unix, "%Y-%m-%dT%H:%M:%SZ");
}

void AddLockHeaders(const std::optional<S3ObjectLock>& lock, HttpParams& headers) {
  if (!lock) return;
  headers.emplace_back("x-amz-object-lock-mode", lock->mode);
  headers.emplace_back("x-amz-object-lock-retain-until-date", RetainUntil(*lock));
}

// Parses a 2xx answer's body; a malformed one is refused naming the request.
template <typename Parse>
auto Parsed(Parse parse, const std::string& body, const std::string& what) {
  auto parsed = parse(body);
  if (!parsed.ok()) return decltype(parsed)(parsed.error().WithContext(what));
  return parsed;
}

}  // namespace

struct S3Client::Request {
  Request(std::string m, std::string p, HttpParams q = {})
      : method(std::move(m)), path(std::move(p)), query(std::move(q)) {}
  std::string method;
  std::string path;    // encoded (S3Address::ObjectPath / BucketPath)
  HttpParams query;    // decoded
  HttpParams headers;  // sent and signed, besides host and the x-amz-* SigV4 adds
  ByteSpan body;
  std::uint64_t max_body = kMaxS3XmlBytes;
  std::string what;                         // "PUT s3://bucket/key", first in messages
  std::string_view bare_404_code;           // the code a 404 without a body stands for
  std::vector<std::string_view> tolerated;  // codes returned, not failed
};

struct S3Client::Response {
  HttpsResponse http;            // status and headers; body in http.body
  std::optional<S3Error> error;  // a tolerated error
};

Result<std::unique_ptr<S3Client>> S3Client::Create(S3ClientOptions options) {
  if (options.region.empty()) {
    return Status::InvalidArgument("S3 target: the region must not be empty (e.g. us-east-1)");
  }
  if (options.credentials.access_key.empty() || options.credentials.secret_key.empty()) {
    return Status::InvalidArgument("S3 target: access_key and secret_key are required");
  }
  HttpsClientOptions http;
  http.endpoint = options.address.endpoint;
  http.ca_pem = options.ca_pem;
  http.use_system_trust_store = options.ca_pem.empty();
  http.timeout = options.timeout;
  http.connect_host = options.TEST_connect_host;
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<HttpsClient> client, HttpsClient::Create(std::move(http)));
  return std::unique_ptr<S3Client>(new S3Client(std::move(options), std::move(client)));
}

S3ErrorContext S3Client::ErrorContext(std::string_view what) const {
  return S3ErrorContext{what, options_.address.bucket, options_.address.endpoint_url,
                        options_.credentials_file};
}

Result<S3Client::Response> S3Client::Execute(const Request& r) {
  CAIRN_ASSIGN_OR_RETURN(std::string payload_hash, PayloadSha256Hex(r.body));
  const std::string amz_date = AmzDate(options_.clock->NowUnixNanos() / 1'000'000'000);

  SigV4Request sig{r.method, r.path, r.query, r.headers, payload_hash};
  sig.headers.emplace_back("host", HostHeaderValue(options_.address.endpoint));
  sig.headers.emplace_back("x-amz-content-sha256", payload_hash);
  sig.headers.emplace_back("x-amz-date", amz_date);
  CAIRN_ASSIGN_OR_RETURN(std::string authorization,
                         SigV4Authorization(options_.credentials, options_.region, amz_date, sig));

  HttpsRequest http;
  http.method = r.method;
  http.target = r.path + WireQuery(r.query);
  http.body.assign(AsChars(r.body));
  http.headers = r.headers;
  http.headers.emplace_back("x-amz-content-sha256", payload_hash);
  http.headers.emplace_back("x-amz-date", amz_date);
  http.headers.emplace_back("Authorization", std::move(authorization));

  std::string body;
  std::uint64_t limit = r.max_body;
  // A refusal decided here already names the request; it is kept apart
  // from network failures, which get the request added.
  std::optional<Status> refused;
  auto refuse = [&](Status s) {
    refused = s;
    return s;
  };
  auto too_large = [&](std::uint64_t n) {
    return refuse(Status::InvalidArgument(r.what + ": the answer is " + std::to_string(n) +
                                          " bytes, more than the limit of " +
                                          std::to_string(limit) + " bytes"));
  };
  // Refuses an oversized Content-Length before any body byte is read; an
  // oversized error body is not read either: its status is enough.
  auto on_header = [&](const HttpsResponse& head) -> Status {
    if (r.method == "HEAD") return Status::Ok();  // its Content-Length is the object's
    const bool success = head.status / 100 == 2;
    limit = success ? r.max_body : kMaxErrorBody;
    const std::optional<std::uint64_t> length = ContentLength(head);
    if (!length || *length <= limit) return Status::Ok();
    if (success) return too_large(*length);
    S3Error e{head.status, std::string(head.status == 404 ? r.bare_404_code : ""), "",
              Header(head, "x-amz-bucket-region")};
    return refuse(S3ErrorToStatus(e, ErrorContext(r.what)));
  };
  auto on_body = [&](std::string_view piece) -> Status {
    if (body.size() + piece.size() > limit) return too_large(body.size() + piece.size());
    body.append(piece);
    return Status::Ok();
  };
  auto sent = http_->SendStreaming(http, on_body, on_header);
  if (!sent.ok()) return refused ? *refused : sent.error().WithContext(r.what);
  Response response{std::move(*sent), std::nullopt};
  response.http.body = std::move(body);
  if (response.http.status / 100 == 2) return response;

  S3Error error;
  if (!response.http.body.empty()) {
    auto parsed = ParseS3ErrorXml(response.http.body);
    if (parsed.ok()) error = std::move(*parsed);
  }
  error.http_status = response.http.status;
  if (error.code.empty() && error.http_status == 404) error.code = std::string(r.bare_404_code);
  if (error.region.empty()) error.region = Header(response.http, "x-amz-bucket-region");
  for (std::string_view code : r.tolerated) {
    if (error.code == code) {
      response.error = std::move(error);
      return response;
    }
  }
  return S3ErrorToStatus(error, ErrorContext(r.what));
}

Status S3Client::CreateBucket(bool object_lock) {
  const std::string xml = CreateBucketXml(options_.region);
  Request r{"PUT", options_.address.BucketPath()};
  r.body = AsBytes(xml);
  if (object_lock) r.headers.emplace_back("x-amz-bucket-object-lock-enabled", "true");
  r.what = "create bucket " + options_.address.bucket;
  r.tolerated = {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"};
  CAIRN_ASSIGN_OR_RETURN(Response response, Execute(r));
  if (response.error) {
    return Status::AlreadyExists(r.what + ": " + response.error->code);
  }
  return Status::Ok();
}

Result<std::optional<S3ObjectLockConfig>> S3Client::GetObjectLockConfiguration() {
  Request r{"GET", options_.address.BucketPath(), {{"object-lock", ""}}};
  r.what = "get the Object Lock configuration of bucket " + options_.address.bucket;
  r.bare_404_code = "NoSuchBucket";
  r.tolerated = {"ObjectLockConfigurationNotFoundError"};
  CAIRN_ASSIGN_OR_RETURN(Response response, Execute(r));
  if (response.error) return std::optional<S3ObjectLockConfig>();
  CAIRN_ASSIGN_OR_RETURN(S3ObjectLockConfig config,
                         Parsed(ParseObjectLockConfiguration, response.http.body, r.what));
  return std::optional<S3ObjectLockConfig>(std::move(config));
}

Result<S3PutResult> S3Client::PutObject(std::string_view key, ByteSpan data,
                                        const std::optional<S3ObjectLock>& lock) {
  CAIRN_ASSIGN_OR_RETURN(std::string md5, ContentMd5Base64(data));
  Request r{"PUT", options_.address.ObjectPath(key)};
  r.body = data;
  r.headers.emplace_back("Content-MD5", std::move(md5));
  AddLockHeaders(lock, r.headers);
  r.what = "PUT " + options_.address.Describe(key);
  CAIRN_ASSIGN_OR_RETURN(Response response, Execute(r));
  return S3PutResult{Header(response.http, "etag"), Header(response.http, "x-amz-version-id")};
}

Result<std::string> S3Client::CreateMultipartUpload(std::string_view key,
                                                    const std::optional<S3ObjectLock>& lock) {
  Request r{"POST", options_.address.ObjectPath(key), {{"uploads", ""}}};
  AddLockHeaders(lock, r.headers);
  r.what = "start a multipart upload of " + options_.address.Describe(key);
  CAIRN_ASSIGN_OR_RETURN(Response response, Execute(r));
  return Parsed(ParseInitiateMultipartUpload, response.http.body, r.what);
}

Result<std::string> S3Client::UploadPart(std::string_view key, std::string_view upload_id,
                                         int part_number, ByteSpan data) {
  CAIRN_ASSIGN_OR_RETURN(std::string md5, ContentMd5Base64(data));
  Request r{"PUT",
            options_.address.ObjectPath(key),
            {{"partNumber", std::to_string(part_number)}, {"uploadId", std::string(upload_id)}}};
  r.body = data;
  r.headers.emplace_back("Content-MD5", std::move(md5));
  r.what = "upload part " + std::to_string(part_number) + " of " + options_.address.Describe(key);
  CAIRN_ASSIGN_OR_RETURN(Response response, Execute(r));
  std::string etag = Header(response.http, "etag");
  if (etag.empty()) return Status::InvalidArgument(r.what + ": the answer has no ETag");
  return etag;
}

Result<S3PutResult> S3Client::CompleteMultipartUpload(std::string_view key,
                                                      std::string_view upload_id,
                                                      const std::vector<S3CompletedPart>& parts) {
  const std::string xml = CompleteMultipartUploadXml(parts);
  Request r{"POST", options_.address.ObjectPath(key), {{"uploadId", std::string(upload_id)}}};
  r.body = AsBytes(xml);
  r.what = "complete the multipart upload of " + options_.address.Describe(key);
  CAIRN_ASSIGN_OR_RETURN(Response response, Execute(r));
  // S3 may answer 200 and report the failure in the body.
  CAIRN_ASSIGN_OR_RETURN(std::optional<S3Error> failed,
                         Parsed(ParseCompleteMultipartUpload, response.http.body, r.what));
  if (failed) {
    S3Error e = std::move(*failed);
    e.http_status = response.http.status;
    return S3ErrorToStatus(e, ErrorContext(r.what));
  }
  return S3PutResult{"", Header(response.http, "x-amz-version-id")};
}

Status S3Client::AbortMultipartUpload(std::string_view key, std::string_view upload_id) {
  Request r{"DELETE", options_.address.ObjectPath(key), {{"uploadId", std::string(upload_id)}}};
  r.what = "abort the multipart upload of " + options_.address.Describe(key);
  r.tolerated = {"NoSuchUpload"};
  return Execute(r).status();
}

Result<Bytes> S3Client::GetObject(std::string_view key, std::uint64_t max_bytes) {
  Request r{"GET", options_.address.ObjectPath(key)};
  r.max_body = max_bytes;
  r.what = "GET " + options_.address.Describe(key);
  r.bare_404_code = "NoSuchKey";
  CAIRN_ASSIGN_OR_RETURN(Response response, Execute(r));
  const std::string& body = response.http.body;
  return Bytes(body.begin(), body.end());
}

Result<S3ObjectHead> S3Client::HeadObject(std::string_view key, std::string_view version_id) {
  Request r{"HEAD", options_.address.ObjectPath(key)};
  if (!version_id.empty()) r.query.emplace_back("versionId", std::string(version_id));
  r.what = "HEAD " + options_.address.Describe(key);
  r.bare_404_code = "NoSuchKey";
  CAIRN_ASSIGN_OR_RETURN(Response response, Execute(r));
  S3ObjectHead head;
  head.size = ContentLength(response.http).value_or(0);
  head.etag = Header(response.http, "etag");
  head.version_id = Header(response.http, "x-amz-version-id");
  head.lock_mode = Header(response.http, "x-amz-object-lock-mode");
  head.lock_retain_until = Header(response.http, "x-amz-object-lock-retain-until-date");
  return head;
}

Result<S3ListPage> S3Client::ListObjectsV2(std::string_view prefix,
                                           std::string_view continuation_token, int max_keys) {
  if (max_keys < 1 || max_keys > 1000) {
    return Status::InvalidArgument("ListObjectsV2: max_keys must be 1..1000");
  }
  Request r{"GET",
            options_.address.BucketPath(),
            {{"list-type", "2"}, {"max-keys", std::to_string(max_keys)}}};
  if (!prefix.empty()) r.query.emplace_back("prefix", std::string(prefix));
  if (!continuation_token.empty()) {
    r.query.emplace_back("continuation-token", std::string(continuation_token));
  }
  r.what = "list " + options_.address.Describe(prefix);
  r.bare_404_code = "NoSuchBucket";
  CAIRN_ASSIGN_OR_RETURN(Response response, Execute(r));
  return Parsed(ParseListObjectsV2, response.http.body, r.what);
}

Result<S3VersionsPage> S3Client::ListObjectVersions(std::string_view prefix,
                                                    std::string_view key_marker,
                                                    std::string_view version_id_marker) {
  Request r{"GET", options_.address.BucketPath(), {{"versions", ""}, {"max-keys", "1000"}}};
  if (!prefix.empty()) r.query.emplace_back("prefix", std::string(prefix));
  if (!key_marker.empty()) r.query.emplace_back("key-marker", std::string(key_marker));
  if (!version_id_marker.empty()) {
    r.query.emplace_back("version-id-marker", std::string(version_id_marker));
  }
  r.what = "list the versions of " + options_.address.Describe(prefix);
  r.bare_404_code = "NoSuchBucket";
  CAIRN_ASSIGN_OR_RETURN(Response response, Execute(r));
  return Parsed(ParseListObjectVersions, response.http.body, r.what);
}

Status S3Client::DeleteObject(std::string_view key, std::string_view version_id) {
  Request r{"DELETE", options_.address.ObjectPath(key)};
  r.what = "DELETE " + options_.address.Describe(key);
  if (version_id.empty()) {
    r.tolerated = {"NoSuchKey"};
  } else {
    r.query.emplace_back("versionId", std::string(version_id));
    r.what += " version " + std::string(version_id);
    r.tolerated = {"NoSuchKey", "NoSuchVersion", "AccessDenied"};
  }
  CAIRN_ASSIGN_OR_RETURN(Response response, Execute(r));
  if (response.error && response.error->code == "AccessDenied") {
    return Status::PermissionDenied(
        r.what +
        ": refused (AccessDenied): the version is under Object Lock retention and "
        "cannot be deleted before its retain-until date (or this user may not delete "
        "object versions)");
  }
  return Status::Ok();
}

Result<S3Retention> S3Client::GetObjectRetention(std::string_view key,
                                                 std::string_view version_id) {
  Request r{"GET", options_.address.ObjectPath(key), {{"retention", ""}}};
  if (!version_id.empty()) r.query.emplace_back("versionId", std::string(version_id));
  r.what = "get the retention of " + options_.address.Describe(key);
  r.bare_404_code = "NoSuchKey";
  CAIRN_ASSIGN_OR_RETURN(Response response, Execute(r));
  return Parsed(ParseObjectRetention, response.http.body, r.what);
}

Status S3Client::PutObjectRetention(std::string_view key, std::string_view version_id,
                                    const S3ObjectLock& lock) {
  const std::string xml = RetentionXml(lock.mode, RetainUntil(lock));
  CAIRN_ASSIGN_OR_RETURN(std::string md5, ContentMd5Base64(AsBytes(xml)));
  Request r{"PUT", options_.address.ObjectPath(key), {{"retention", ""}}};
  if (!version_id.empty()) r.query.emplace_back("versionId", std::string(version_id));
  r.body = AsBytes(xml);
  r.headers.emplace_back("Content-MD5", std::move(md5));
  r.what = "set the retention of " + options_.address.Describe(key);
  r.bare_404_code = "NoSuchKey";
  return Execute(r).status();
}

}  // namespace cairn
