// Shared set-up for the recovery tests: a store with snapshots made by the
// real engine, its replica in a directory (every store file put through a
// DirectoryTarget, as the replication engine does), the recovery kit, and
// a target that counts what is read from it, fails on demand (a link cut)
// and can list keys that are not replica objects.
#pragma once

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>

#include "core/crypto/recovery_kit.h"
#include "core/engine/local_backup_target.h"
#include "sync/recovery/replica_attach.h"
#include "sync/target/directory_target.h"
#include "sync/target/replica_layout.h"
#include "tests/core/engine/engine_test_util.h"
#include "tests/support/sample_tree.h"

namespace cairn {

// Inverts one byte of a file in place (a tampered object).
inline void FlipByte(const std::filesystem::path& path, std::streamoff offset) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(file);
  file.seekg(offset);
  const int c = file.get();
  REQUIRE(c != EOF);
  file.seekp(offset);
  file.put(static_cast<char>(c ^ 0xff));
}

struct GetLog {
  std::mutex mu;
  std::map<std::string, int> gets;  // key -> times read
  std::atomic<int> chunk_gets{0};
  // Every chunk read after this many fails (Unavailable) until reset to -1.
  std::atomic<int> fail_after_chunk_gets{-1};
  std::vector<std::string> extra_keys;  // listed (and readable) besides the replica's own

  int Gets(const std::string& prefix) {
    std::lock_guard lock(mu);
    int n = 0;
    for (const auto& [key, count] : gets) {
      if (key.starts_with(prefix)) n += count;
    }
    return n;
  }
  int MaxGetsOfOneKey() {
    std::lock_guard lock(mu);
    int m = 0;
    for (const auto& [key, count] : gets) m = std::max(m, count);
    return m;
  }
};

class TestTarget final : public ReplicaTarget {
 public:
  TestTarget(std::filesystem::path dir, GetLog& log)
      : inner_(DefaultFileSystem(), std::move(dir)), log_(log) {}
  std::string Describe() const override { return "test " + inner_.Describe(); }
  Result<ProbeResult> Probe() override { return inner_.Probe(); }
  Status Put(std::string_view key, ByteSpan data, const PutOptions& o) override {
    return inner_.Put(key, data, o);
  }
  Result<Bytes> Get(std::string_view key, std::uint64_t max) override {
    if (key.starts_with(kReplicaChunksPrefix)) {
      const int n = log_.chunk_gets++;
      const int limit = log_.fail_after_chunk_gets.load();
      if (limit >= 0 && n >= limit) return Status::Unavailable("connection reset (test cut)");
    }
    {
      std::lock_guard lock(log_.mu);
      ++log_.gets[std::string(key)];
    }
    for (const std::string& extra : log_.extra_keys) {
      if (extra == key) return Bytes{'j', 'u', 'n', 'k'};
    }
    return inner_.Get(key, max);
  }
  Status List(std::string_view prefix,
              const std::function<Status(std::string_view, std::uint64_t)>& on_key) override {
    // The extra keys come first: the listing must skip them, not stop.
    for (const std::string& extra : log_.extra_keys) {
      if (extra.starts_with(prefix)) CAIRN_RETURN_IF_ERROR(on_key(extra, 4));
    }
    return inner_.List(prefix, on_key);
  }
  Status Delete(std::string_view key) override { return inner_.Delete(key); }

 private:
  DirectoryTarget inner_;
  GetLog& log_;
};

// Commits its snapshots as a cluster's agent would (the manifest names it).
class ClusterBackupTarget final : public LocalBackupTarget {
 public:
  ClusterBackupTarget(Store& store, std::string cluster)
      : LocalBackupTarget(store), cluster_(std::move(cluster)) {}
  Result<std::uint64_t> Commit(Manifest& manifest, const std::vector<NewChunk>& new_chunks,
                               const std::vector<ChunkId>& referenced) override {
    manifest.cluster = cluster_;
    return LocalBackupTarget::Commit(manifest, new_chunks, referenced);
  }

 private:
  std::string cluster_;
};

struct ReplicaFixture : StoreFixture {
  fs::path replica = tmp.path() / "replica";
  fs::path attached = tmp.path() / "attached";
  fs::path new_key = tmp.path() / "attached.key";
  fs::path restored = tmp.path() / "restored";
  std::unique_ptr<Store> store = Open();
  GetLog log;

  // Puts every store file a replica holds (config, chunks, manifests)
  // through a DirectoryTarget; the catalog and anything else stay behind.
  void Replicate() {
    DirectoryTarget target(DefaultFileSystem(), replica);
    fs::create_directories(replica);
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      if (!entry.is_regular_file()) continue;
      const std::string key = fs::relative(entry.path(), dir).string();
      if (!ValidateReplicaKey(key).ok()) continue;
      auto data = ReadWholeFile(DefaultFileSystem(), entry.path(), 64 << 20);
      REQUIRE(data.ok());
      REQUIRE(target.Put(key, *data, PutOptions{}).ok());
    }
  }

  // A sample tree backed up as snapshot `name` of this store and
  // replicated; returns the snapshot id.
  std::string BackUpSampleAndReplicate(std::uint64_t seed, const std::string& name = "t") {
    MakeSampleTree(src, seed);
    auto snap = StoreFixture::Backup(*store, src, name);
    REQUIRE(snap.ok());
    Replicate();
    return snap->snapshot_id;
  }

  // The kit as `cairnctl key export` prints it, read back as a DR lead would.
  static std::pair<MasterKey, Bytes> KitOf(Store& s) {
    auto kit = ParseRecoveryKit(FormatRecoveryKit(s.master_key(), s.config().store_id, "test"));
    REQUIRE(kit.ok());
    return *kit;
  }

  ReplicaSource Source() const {
    ReplicaSource source;
    source.target.name = "replica";
    source.target.kind = TargetKind::kDirectory;
    source.target.directory.dir = replica;
    return source;
  }

  // Attach through the counting target, unless `factory` is given.
  AttachRequest Request(ReplicaTargetFactory factory = nullptr) {
    AttachRequest r;
    r.store_dir = attached;
    r.key_file = new_key;
    auto kit = KitOf(*store);
    r.master = kit.first;
    r.kit_store_id = kit.second;
    r.source = Source();
    r.open_target = factory ? std::move(factory) : Counting();
    return r;
  }

  ReplicaTargetFactory Counting() {
    return [this]() -> Result<std::unique_ptr<ReplicaTarget>> {
      return std::unique_ptr<ReplicaTarget>(std::make_unique<TestTarget>(replica, log));
    };
  }

  Result<BackupResult> BackupAs(const fs::path& source, const std::string& name,
                                const std::string& cluster, std::vector<std::string> tags = {}) {
    auto dir_source = DirectorySource::Open(source);
    if (!dir_source.ok()) return dir_source.error();
    ClusterBackupTarget target(*store, cluster);
    BackupRequest request;
    request.name = name;
    request.tags = std::move(tags);
    request.threads = 2;
    return RunBackup(target, **dir_source, request);
  }

  // The first chunk of the file at `path` in snapshot name/id.
  ChunkId ChunkOf(const std::string& name, const std::string& id, const std::string& path) {
    auto m = store->ReadManifest(name, id);
    REQUIRE(m.ok());
    for (const TreeEntry& e : m->entries) {
      if (e.path == path && !e.content.empty()) return e.content[0].id;
    }
    FAIL("no content for " + path);
    return {};
  }

  fs::path ReplicaChunkPath(const ChunkId& id) const { return replica / ReplicaChunkKey(id); }
};

}  // namespace cairn
