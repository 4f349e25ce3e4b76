// SigV4: AWS Signature Version 4 for S3 requests, written with OpenSSL EVP
// (SHA-256, HMAC-SHA256). What a signature covers, and what it does not, is
// written down in docs/formats.md "S3 replica targets":
//
//   covered      method, path, every query parameter, the headers named in
//                SignedHeaders (host, x-amz-date, x-amz-content-sha256 and,
//                as S3Client sends them, content-md5 and every x-amz-*),
//                and the body through x-amz-content-sha256 = hex SHA-256 of
//                the whole payload;
//   not covered  headers outside SignedHeaders (User-Agent, Content-Length),
//                the response. No chunked (STREAMING-*/aws-chunked) signing,
//                no UNSIGNED-PAYLOAD, no session tokens.
//
// The encoding rules are S3's: the path is URI-encoded once per segment
// ('/' kept, never double-encoded), query names and values are URI-encoded
// ('/' too) and sorted, header names lowercased, values trimmed with inner
// runs of spaces collapsed.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/status.h"

namespace cairn {

struct SigV4Credentials {
  std::string access_key;
  std::string secret_key;
};

using HttpParams = std::vector<std::pair<std::string, std::string>>;

struct SigV4Request {
  std::string method;         // "GET", "PUT", ...
  std::string canonical_uri;  // the path as sent, already encoded (UriEncodePath)
  HttpParams query;           // decoded names and values; "" for a bare "?uploads"
  HttpParams headers;         // every header to sign, host included (any case)
  std::string payload_sha256_hex;
};

// RFC 3986 percent-encoding as S3 wants it: unreserved characters
// (A-Z a-z 0-9 - _ . ~) as they are, every other byte as %XX (upper case).
// '/' is kept by UriEncodePath and encoded by UriEncode.
std::string UriEncode(std::string_view s);
std::string UriEncodePath(std::string_view path);

// A Unix time in seconds as UTC through strftime's `format`.
std::string FormatUtc(std::int64_t unix_seconds, const char* format);
// "20130524T000000Z" (x-amz-date).
std::string AmzDate(std::int64_t unix_seconds);

// Names and values URI-encoded, sorted by name then value: the order of the
// canonical query, and of the query S3Client sends.
HttpParams EncodeQuery(const HttpParams& query);
// name=value pairs of EncodeQuery joined by '&'.
std::string CanonicalQueryString(const HttpParams& query);
// "host;x-amz-content-sha256;x-amz-date": lowercased, sorted, ';'-joined.
std::string SignedHeaders(const HttpParams& headers);
// The six lines of the canonical request, joined by '\n'.
std::string CanonicalRequest(const SigV4Request& request);
// "AWS4-HMAC-SHA256\n<date>\n<scope>\n<hex SHA-256 of the canonical request>".
Result<std::string> StringToSign(std::string_view amz_date, std::string_view region,
                                 std::string_view canonical_request);
// Hex HMAC chain: kDate = HMAC("AWS4" + secret, yyyymmdd), kRegion, kService
// ("s3"), kSigning ("aws4_request"), then HMAC(kSigning, string to sign).
Result<std::string> SigV4Signature(std::string_view secret_key, std::string_view amz_date,
                                   std::string_view region, std::string_view string_to_sign);
// The Authorization header value: "AWS4-HMAC-SHA256 Credential=<access>/
// <scope>, SignedHeaders=..., Signature=...". The request's headers must
// already hold x-amz-date (= amz_date) and x-amz-content-sha256.
Result<std::string> SigV4Authorization(const SigV4Credentials& credentials, std::string_view region,
                                       std::string_view amz_date, const SigV4Request& request);

// Hex SHA-256 of a payload (x-amz-content-sha256) and base64 MD5 (Content-MD5).
Result<std::string> PayloadSha256Hex(ByteSpan payload);
Result<std::string> ContentMd5Base64(ByteSpan payload);

}  // namespace cairn
