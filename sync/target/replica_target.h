// ReplicaTarget: a place that holds a copy of a store's files -- an S3
// bucket, another Cairn appliance, a directory -- seen as a flat key/value
// object store. Keys are the store-relative paths of ReplicaLayout
// ("config", "chunks/ab/<id>", "snapshots/<name>/<id>"), so a replica is the
// store's own layout: whoever has the recovery kit can open it as a store,
// and nobody else can read it (every object is ciphertext, or the config's
// wrapped keys).
//
// The replication engine (sync/engine) writes through Put*, the recovery
// path (sync/recovery) reads through Get/List. Implementations:
// sync/s3/s3_target, sync/peer/appliance_peer_target, DirectoryTarget.
//
// Errors: Unavailable for anything the network or the far side might fix by
// itself (refused, reset, timeout, 5xx, 429: retryable), PermissionDenied for
// credentials the far side refuses (never retried: a person must act),
// NotFound for an absent key, InvalidArgument for a malformed key or an
// answer that makes no sense (named, with what to check).
//
// Thread-safety: one object per thread (the engine opens one per stream
// through a TargetFactory); implementations need not lock.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/status.h"

namespace cairn {

struct PutOptions {
  // Retention lock: when set and the target supports locks (ProbeResult),
  // the object cannot be deleted or overwritten before this time (S3 Object
  // Lock, COMPLIANCE mode). Ignored by targets without locks.
  std::optional<std::int64_t> retain_until_unix;
};

struct ProbeResult {
  bool supports_locks = false;  // e.g. the S3 bucket has Object Lock enabled
  std::string detail;           // what was probed, for `cairnctl target status`
};

class ReplicaTarget {
 public:
  virtual ~ReplicaTarget() = default;

  // "s3 http://127.0.0.1:7480 bucket/prefix", "appliance https://b:8443", ...
  virtual std::string Describe() const = 0;

  // One cheap request that proves the target is reachable and accepts our
  // credentials (and, for S3, that the bucket exists).
  virtual Result<ProbeResult> Probe() = 0;

  // Writes one object whole (replacing one of the same key unless it is
  // locked). Content-Length is always sent; no streamed checksums.
  virtual Status Put(std::string_view key, ByteSpan data, const PutOptions& options) = 0;

  // Reads one object; InvalidArgument when it is larger than max_bytes
  // (every size from the network is bounded).
  virtual Result<Bytes> Get(std::string_view key, std::uint64_t max_bytes) = 0;

  // Calls `on_key` for every key that starts with `prefix`, in ascending
  // order, page by page (memory stays bounded). An error from on_key stops
  // the listing and is returned.
  virtual Status List(std::string_view prefix,
                      const std::function<Status(std::string_view key, std::uint64_t size)>& on_key) = 0;

  // Deletes one object (NotFound is Ok). PermissionDenied while locked.
  virtual Status Delete(std::string_view key) = 0;

  // Makes the object under `key` (its current version) retained at least
  // until `retain_until_unix`, as a Put with that retention would have; an
  // object already retained longer keeps its date (a lock is never
  // shortened); NotFound when it is absent. Targets without locks -- and S3
  // buckets without Object Lock -- have nothing to extend: Ok, unchecked.
  virtual Status ExtendRetention(std::string_view key, std::int64_t retain_until_unix) {
    (void)key;
    (void)retain_until_unix;
    return Status::Ok();
  }
};

}  // namespace cairn
