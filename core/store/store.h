// Store: one Cairn store on a local filesystem -- the layout of
// ARCHITECTURE.md ("Store format") made real:
//
//   <dir>/config                     StoreConfig (plaintext JSON, MAC'd)
//   <dir>/catalog.db                 SQLite index (rebuildable from the rest)
//   <dir>/chunks/ab/<id-hex>         one sealed chunk per file (ab: first byte)
//   <dir>/snapshots/<name>/<id>      one sealed manifest per snapshot
//
// Durability contract: a chunk file appears under its final name only whole;
// a manifest is written only after every chunk it names is durable
// (CommitChunks), and the catalog row last. So after a crash a snapshot is
// either fully visible or absent.
//
// Chunks are made durable in batches rather than one fsync each (0.5 ms per
// small file here, thousands per backup): WriteChunk writes a temporary file
// without syncing; CommitChunks() issues one syncfs(2) for the batch, renames
// every temporary to its final name, then fsyncs the directories. A crash
// before the syncfs leaves only temporaries (never a final name); after it,
// every renamed file is whole. Temporaries left by a crash are ignored and
// swept by garbage collection.
//
// Thread-safety: WriteChunk, ReadSealedChunk, HasChunkFile and the accessors
// may be called from many threads; catalog() is for one thread at a time
// (the engine's coordinator); Open/Init/AddPassphrase are not concurrent.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/base/chunk_id.h"
#include "core/base/clock.h"
#include "core/base/file_system.h"
#include "core/catalog/catalog.h"
#include "core/crypto/keys.h"
#include "core/store/manifest.h"
#include "core/store/store_config.h"

namespace cairn {

struct StoreOptions {
  ChunkerParams chunker;  // defaults: 256 KiB / 1 MiB / 4 MiB
  // zstd level for new chunks. 2, not 3: on 256 KiB chunks of database pages
  // it keeps 99.3% of level 3's ratio in 70% of the time (zstd is half of a
  // first backup's CPU); level 1 would cost 2.6% more store.
  int zstd_level = 2;
};

// How to unlock a store: a key file, or a recovery passphrase.
struct KeySource {
  std::optional<fs::path> key_file;
  std::optional<std::string> passphrase;
};

class Store {
 public:
  // A sealed chunk is at most max_size plus the envelope; anything larger on
  // disk is refused before it is read.
  static constexpr std::uint64_t kMaxSealedChunkBytes = (8u << 20) + 4096;

  // Creates an empty store in `dir` (absent or empty) and a new key file at
  // `key_file` (must not exist). Refuses to overwrite either.
  static Status Init(FileSystem& fs, const fs::path& dir, const fs::path& key_file,
                     const StoreOptions& options, Clock& clock = DefaultClock());
  // With fresh_catalog=true the existing catalog (damaged or lost) is moved
  // aside as catalog.db.old-<unix time> -- only after the key has proved to
  // open the store -- and an empty one is created, for RebuildCatalog.
  static Result<std::unique_ptr<Store>> Open(FileSystem& fs, const fs::path& dir,
                                             const KeySource& key, bool fresh_catalog = false);
  // Opens with the master key itself (from a recovery kit). The config's MAC
  // proves the key belongs to this store.
  static Result<std::unique_ptr<Store>> OpenWithMasterKey(FileSystem& fs, const fs::path& dir,
                                                          const MasterKey& master);

  const fs::path& dir() const { return dir_; }
  const StoreConfig& config() const { return config_; }
  const DerivedKeys& keys() const { return keys_; }
  const MasterKey& master_key() const { return master_key_; }
  FileSystem& fs() { return fs_; }
  // Problems Open() survived (e.g. a registry that could not be carried over
  // from a damaged catalog), for the caller to show.
  const std::vector<std::string>& open_warnings() const { return open_warnings_; }
  Catalog& catalog() { return *catalog_; }

  fs::path ChunkPath(const ChunkId& id) const;
  fs::path ManifestPath(std::string_view name, std::string_view snapshot_id) const;

  // Writes a sealed chunk as a temporary file unless the chunk is already
  // present; it gets its final name at the next CommitChunks(), which runs by
  // itself once kCommitBatchBytes are pending. Returns the bytes written (0
  // when the chunk was already present).
  Result<std::uint64_t> WriteChunk(const ChunkId& id, ByteSpan sealed);
  // Makes every chunk written so far durable under its final name. Must
  // precede WriteManifest for the snapshot using them.
  Status CommitChunks();
  static constexpr std::uint64_t kCommitBatchBytes = 512ull << 20;
  Result<Bytes> ReadSealedChunk(const ChunkId& id);

  // Seals and writes the manifest atomically; returns its sealed size.
  Result<std::uint64_t> WriteManifest(const Manifest& manifest, int zstd_level);
  Result<Manifest> ReadManifest(std::string_view name, std::string_view snapshot_id);
  // The same from another path: a manifest being deleted is first renamed
  // to DeletingManifestPath (core/retention/snapshot_deleter.h).
  Result<Manifest> ReadManifestAt(const fs::path& path, std::string_view name,
                                  std::string_view snapshot_id);
  // snapshots/<name>/<id>.deleting: not a manifest name (ListManifestFiles,
  // garbage collection and catalog rebuild skip it), kept only until the
  // deletion has lowered the refcounts.
  fs::path DeletingManifestPath(std::string_view name, std::string_view snapshot_id) const;
  // Every (name, id) with a manifest file, whatever the catalog says.
  Result<std::vector<std::pair<std::string, std::string>>> ListManifestFiles();

  // Adds a recovery passphrase key slot and rewrites the config atomically.
  Status AddPassphrase(std::string_view passphrase);
  // Creates a new key file (must not exist) and adds a slot for it.
  Status AddKeyFile(const fs::path& key_file);

 private:
  Store(FileSystem& fs, fs::path dir) : fs_(fs), dir_(std::move(dir)) {}
  static Result<StoreConfig> ReadConfig(FileSystem& fs, const fs::path& dir);
  static Result<std::unique_ptr<Store>> Unlocked(FileSystem& fs, const fs::path& dir,
                                                 StoreConfig config, MasterKey master,
                                                 bool fresh_catalog = false);
  Status AddSlot(KeySlot slot);

  FileSystem& fs_;
  fs::path dir_;
  StoreConfig config_;
  MasterKey master_key_;
  DerivedKeys keys_;
  std::unique_ptr<Catalog> catalog_;
  std::vector<std::string> open_warnings_;

  struct PendingChunk {
    fs::path temporary, final_path;
  };
  std::mutex dirs_mu_;  // guards the three members below
  std::set<fs::path> known_dirs_;     // chunk directories known to exist
  std::set<fs::path> unsynced_dirs_;  // directories holding unsynced new names
  std::vector<PendingChunk> pending_;
  std::uint64_t pending_bytes_ = 0;
  std::mutex commit_mu_;  // one CommitChunks at a time
};

}  // namespace cairn
