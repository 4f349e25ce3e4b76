// S3Address: where a bucket's objects are, as URLs. Two styles:
//
//   path style     http://host:port/<bucket>/<key>    (Ceph RGW, MinIO, most
//                                                      on-site servers)
//   virtual host   https://<bucket>.host/<key>        (AWS; RGW with
//                                                      rgw_dns_name set)
//
// and an optional prefix, so several appliances can share a bucket: the
// replica key "chunks/ab/<id>" is the object "<prefix>/chunks/ab/<id>".
//
// Virtual-host style needs the bucket to be a DNS label under the endpoint's
// host: it is refused for an IP-literal endpoint, and for bucket names with
// dots over https (no certificate covers them).
// Thread-safety: plain value; the functions are pure.
#pragma once

#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/net/https_url.h"

namespace cairn {

struct S3Address {
  HttpsEndpoint endpoint;    // what to connect to and sign as Host (bucket.host when virtual)
  std::string endpoint_url;  // as configured, for messages
  std::string bucket;
  std::string prefix;  // "" or "a/b", no leading or trailing '/'
  bool virtual_host = false;

  // The object key of a replica key: "<prefix>/<key>", or the key itself.
  std::string ObjectKey(std::string_view key) const;
  // What every object key of this replica starts with: "<prefix>/" or "".
  std::string KeyPrefix() const;
  // The request path of an object (encoded once, as SigV4 signs it) and of
  // the bucket itself: "/bucket/key" and "/bucket" in path style, "/key" and
  // "/" in virtual-host style.
  std::string ObjectPath(std::string_view object_key) const;
  std::string BucketPath() const;
  // "s3://bucket/key" for messages.
  std::string Describe(std::string_view object_key) const;
};

// Checks the endpoint URL (http:// or https://, no path), the bucket name
// (3..63 of a-z 0-9 . - _, starting and ending with a letter or digit;
// virtual-host style allows no '_'), and the prefix (no leading, trailing or
// doubled '/', no control characters, at most 512 bytes). InvalidArgument
// naming the field.
Result<S3Address> MakeS3Address(std::string_view endpoint_url, std::string_view bucket,
                                std::string_view prefix, bool virtual_host);

}  // namespace cairn
