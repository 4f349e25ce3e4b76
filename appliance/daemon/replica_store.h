// ReplicaStore: the objects replication peers push to this appliance, on
// disk as each peer's own store layout (sync/target/replica_layout.h):
//
//   <state_dir>/replicas/<peer-id>/config
//   <state_dir>/replicas/<peer-id>/chunks/<ab>/<id-hex>
//   <state_dir>/replicas/<peer-id>/snapshots/<name>/<snapshot-id>
//
// so each peer's directory is itself a store that the peer's recovery kit
// opens (this appliance has no key for it and never reads the objects).
//
// Writes are atomic and durable (temporary file, fsync, rename, directory
// fsync; new directories are made durable in their parents too). Replicas
// are append-only, as agents are: an existing chunk or manifest is never
// replaced, so a compromised sending site cannot destroy the copy kept here.
// Only `config` may be replaced (it changes when a recovery passphrase is
// added). Deleting is not offered at all (retention, issue 6).
//
// Keys are untrusted: each is checked with ValidateReplicaKey and peer ids
// with IsValidPeerId before any path is formed, so nothing is read or written
// outside <root>/<peer-id>.
//
// Thread-safety: every method may be called from any thread. Two concurrent
// writes of one key are not both let through (the second is Unavailable, to
// be retried), so the "never replaced" check and the rename cannot race
// within the process; the appliance is the only process writing here.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/file_system.h"
#include "core/base/status.h"

namespace cairn {

class ReplicaStore {
 public:
  // `root` is <state_dir>/replicas; it is created on the first write.
  ReplicaStore(FileSystem& fs, std::filesystem::path root) : fs_(fs), root_(std::move(root)) {}

  // The largest body accepted for `key`: 1 MiB for config, the store's
  // largest sealed chunk for a chunk, `max_manifest_bytes` for a manifest.
  static std::uint64_t MaxObjectBytes(std::string_view key, std::uint64_t max_manifest_bytes);
  static constexpr std::uint64_t kMaxConfigBytes = 1 << 20;

  struct PutOutcome {
    bool written = false;            // false: an existing chunk or manifest was kept
    std::int64_t objects_delta = 0;  // +1 for a new object, 0 otherwise
    std::int64_t bytes_delta = 0;    // change in the bytes held for the peer
  };
  // Stores `data` under `key` for `peer_id`. An existing chunk is kept as it
  // is, whatever `data` holds (a chunk's id binds its content, and a chunk
  // sealed again has other bytes for the same plaintext): Ok, written=false.
  // An existing manifest is kept too: Ok when `data` is identical (a resend),
  // AlreadyExists when it differs (a snapshot id cannot change content).
  // InvalidArgument for a bad peer id or key, or `data` over MaxObjectBytes
  // (with max_manifest_bytes as given); Unavailable while another request
  // writes the same key.
  Result<PutOutcome> Put(std::string_view peer_id, std::string_view key, ByteSpan data,
                         std::uint64_t max_manifest_bytes);

  // The object's bytes; NotFound when absent, InvalidArgument when larger
  // than max_bytes or for a bad peer id or key.
  Result<Bytes> Get(std::string_view peer_id, std::string_view key, std::uint64_t max_bytes);

  struct Listed {
    std::string key;
    std::uint64_t size = 0;
  };
  struct Page {
    std::vector<Listed> keys;  // ascending
    bool truncated = false;    // more keys may follow: ask again with after = the last key
  };
  // The peer's keys that start with `prefix` and sort after `after` (""
  // from the start), ascending, at most `limit` (1..kMaxListLimit). Files that
  // are not replica objects (temporaries) are never listed. A peer that has
  // pushed nothing has no keys.
  Result<Page> List(std::string_view peer_id, std::string_view prefix, std::string_view after,
                    std::size_t limit);
  static constexpr std::size_t kMaxListLimit = 1000;

  // <root>/<peer-id>: the peer's store, for recovery (`replica attach`).
  Result<std::filesystem::path> PeerDir(std::string_view peer_id) const;

 private:
  // Creates <root>/<rel...> one level at a time, syncing each new entry's
  // parent, so a crash cannot lose a directory a durable object is in.
  Status MakeDirectoriesDurably(const std::filesystem::path& rel);
  Result<PutOutcome> PutReserved(const std::filesystem::path& path, std::string_view key,
                                 ByteSpan data);

  FileSystem& fs_;
  const std::filesystem::path root_;
  std::mutex mu_;
  std::set<std::string> writing_;  // "<peer>/<key>" being written; guarded by mu_
};

}  // namespace cairn
