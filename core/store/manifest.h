// Manifest: the content of one snapshot -- who/what/when, the figures of the
// backup that made it, and every tree entry with the chunk slices of its
// content. Serialised as JSON (format in docs/formats.md, "Snapshot
// manifest"), then sealed (zstd + AES-256-GCM) under the snapshot id.
//
// Parsing treats the bytes as untrusted: bounded counts, validated entries
// (TreeEntry's own validation), a version check that names both versions.
// Thread-safety: plain value type.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/status.h"
#include "core/tree/tree_entry.h"

namespace cairn {

struct BackupFigures {
  std::uint64_t files = 0;          // regular files (hard links not counted twice)
  std::uint64_t directories = 0;
  std::uint64_t other_entries = 0;  // symlinks, hard links, devices, fifos
  std::uint64_t bytes_read = 0;     // content bytes actually read from the source
  std::uint64_t bytes_logical = 0;  // content bytes of all files in the snapshot
  std::uint64_t bytes_new = 0;      // plaintext bytes of chunks new to the store
  std::uint64_t bytes_stored = 0;   // sealed bytes written for those chunks
  std::uint64_t chunks_new = 0;
  std::uint64_t chunks_referenced = 0;  // distinct chunks the snapshot uses
  std::uint64_t files_unchanged = 0;    // files reused from the files cache
  std::int64_t duration_ns = 0;
};

struct Manifest {
  static constexpr int kFormatVersion = 1;
  // A manifest is read whole into memory; this bounds that (≈ 20 M entries).
  static constexpr std::uint64_t kMaxSealedBytes = 1ull << 30;
  static constexpr std::uint64_t kMaxEntries = 50'000'000;

  std::string snapshot_id;
  std::string name;
  // The cluster whose agent sent it (appliance); "" for a local-mode backup.
  std::string cluster;
  std::int64_t created_unix_ns = 0;
  std::string hostname;
  std::string source;  // path or "-" for a tar stream
  std::vector<std::string> tags;
  std::string parent_id;  // the snapshot whose files cache was used, or ""
  // Retention lock (WORM): until this time nobody may delete the snapshot;
  // 0 = not locked. Kept here, in the sealed manifest, so a rebuilt catalog
  // and a replica carry it; a lock may be extended (the manifest is
  // rewritten), never shortened.
  std::int64_t lock_until_unix_ns = 0;
  BackupFigures figures;
  std::vector<TreeEntry> entries;

  // The JSON text (returned as is, not copied into Bytes: a large tree's
  // manifest is tens of MiB).
  std::string Serialize() const;
  static Result<Manifest> Parse(ByteSpan json);
};

// Snapshot names and ids become path components in the store: a closed
// alphabet, so a name can never escape snapshots/.
Status ValidateSnapshotName(std::string_view name);
Status ValidateSnapshotId(std::string_view id);

}  // namespace cairn
