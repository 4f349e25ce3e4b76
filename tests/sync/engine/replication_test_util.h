// Shared set-up for replication engine tests: a store with snapshots, the
// replication catalog on its catalog file, and targets that count what they
// receive or fail on demand (the link cut of the WAN tests, in-process).
#pragma once

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>

#include "sync/engine/replication_catalog.h"
#include "sync/engine/target_replicator.h"
#include "sync/target/directory_target.h"
#include "sync/target/replica_layout.h"
#include "tests/core/engine/engine_test_util.h"
#include "tests/support/sample_tree.h"

namespace cairn {

// Counts puts per key and fails every put after `fail_after` puts (the
// link going down), until `fail_after` is reset to -1. Records the
// retention each put asked for and each ExtendRetention.
struct PutLog {
  std::mutex mu;
  std::map<std::string, int> puts;  // key -> times put
  std::vector<std::string> order;   // keys in the order they were acknowledged
  std::map<std::string, std::optional<std::int64_t>> put_retain;  // key -> last put's
  std::map<std::string, std::vector<std::int64_t>> extended;       // key -> ExtendRetention dates
  std::atomic<int> fail_after{-1};
  std::atomic<int> total{0};
  bool down_for_probe = false;
};

class CountingTarget final : public ReplicaTarget {
 public:
  CountingTarget(std::filesystem::path dir, PutLog& log)
      : inner_(DefaultFileSystem(), std::move(dir)), log_(log) {}
  std::string Describe() const override { return inner_.Describe(); }
  Result<ProbeResult> Probe() override {
    if (log_.down_for_probe) return Status::Unavailable("link down (test)");
    return inner_.Probe();
  }
  Status Put(std::string_view key, ByteSpan data, const PutOptions& o) override {
    const int n = log_.total++;
    const int limit = log_.fail_after.load();
    if (limit >= 0 && n > limit) return Status::Unavailable("connection reset (test cut)");
    CAIRN_RETURN_IF_ERROR(inner_.Put(key, data, o));
    // The put at the cut reached the target, but its answer was lost: the
    // worst case for resending (the sender cannot know it arrived).
    if (limit >= 0 && n == limit) return Status::Unavailable("connection reset (test cut)");
    std::lock_guard lock(log_.mu);
    ++log_.puts[std::string(key)];
    log_.order.emplace_back(key);
    log_.put_retain[std::string(key)] = o.retain_until_unix;
    return Status::Ok();
  }
  // As an S3 bucket with Object Lock would: NotFound for an absent object.
  Status ExtendRetention(std::string_view key, std::int64_t retain_until_unix) override {
    CAIRN_ASSIGN_OR_RETURN(Bytes held, inner_.Get(key, 64 << 20));
    std::lock_guard lock(log_.mu);
    log_.extended[std::string(key)].push_back(retain_until_unix);
    return Status::Ok();
  }
  Result<Bytes> Get(std::string_view key, std::uint64_t max) override { return inner_.Get(key, max); }
  Status List(std::string_view prefix,
              const std::function<Status(std::string_view, std::uint64_t)>& on_key) override {
    return inner_.List(prefix, on_key);
  }
  Status Delete(std::string_view key) override { return inner_.Delete(key); }

 private:
  DirectoryTarget inner_;
  PutLog& log_;
};

struct ReplicationFixture : StoreFixture {
  fs::path replica = tmp.path() / "replica";
  std::unique_ptr<Store> store;
  std::unique_ptr<ReplicationCatalog> catalog;
  PutLog log;

  explicit ReplicationFixture(Clock& clock = DefaultClock()) {
    store = Open();
    fs::create_directories(replica);
    auto c = ReplicationCatalog::Open(dir / "catalog.db", clock);
    REQUIRE(c.ok());
    catalog = std::move(*c);
  }

  TargetSpec Spec(int streams = 2) const {
    TargetSpec t;
    t.name = "dr";
    t.kind = TargetKind::kDirectory;
    t.directory.dir = replica;
    t.policy.streams = streams;
    return t;
  }
  // An S3 target as far as the engine can tell (locks apply to S3 only);
  // Factory() still makes CountingTargets on `replica`, the settings are
  // never used to connect.
  TargetSpec S3Spec(int streams = 2) const {
    TargetSpec t = Spec(streams);
    t.kind = TargetKind::kS3;
    t.directory = {};
    t.s3.endpoint = "http://127.0.0.1:1";
    t.s3.bucket = "fake-bucket";
    t.s3.credentials_file = "/nonexistent/s3.toml";
    return t;
  }

  TargetFactory Factory() {
    return [this](const TargetSpec&) -> Result<std::unique_ptr<ReplicaTarget>> {
      return std::unique_ptr<ReplicaTarget>(std::make_unique<CountingTarget>(replica, log));
    };
  }

  // A snapshot of a fresh tree of `files` incompressible files of `size` bytes.
  std::string BackupFiles(const std::string& name, int files, std::uint64_t size, std::uint64_t seed,
                          Clock& clock = DefaultClock()) {
    const fs::path src = tmp.path() / ("src-" + name + std::to_string(seed));
    fs::create_directories(src);
    for (int i = 0; i < files; ++i) {
      WriteSeededFile(src / ("f" + std::to_string(i)), size, seed * 1000 + static_cast<std::uint64_t>(i));
    }
    return BackupDir(name, src, clock);
  }

  // A snapshot of the tree at `src` (as it is now).
  std::string BackupDir(const std::string& name, const fs::path& src, Clock& clock = DefaultClock()) {
    auto dir_source = DirectorySource::Open(src);
    REQUIRE(dir_source.ok());
    BackupRequest request;
    request.name = name;
    request.threads = 2;
    auto r = RunBackup(*store, **dir_source, request, clock);
    REQUIRE(r.ok());
    return r->snapshot_id;
  }

  // Locks (or extends the lock of) a snapshot as the retention lock does:
  // the manifest rewritten with the later date, the catalog row raised.
  void LockSnapshot(const std::string& id, std::int64_t until_unix_ns) {
    auto snap = store->catalog().FindSnapshot(id);
    REQUIRE(snap.ok());
    auto manifest = store->ReadManifest(snap->name, id);
    REQUIRE(manifest.ok());
    manifest->lock_until_unix_ns = until_unix_ns;
    REQUIRE(store->WriteManifest(*manifest, 3).ok());
    REQUIRE(store->catalog().RaiseSnapshotLock(id, until_unix_ns).ok());
  }

  // The distinct chunk ids of a snapshot.
  std::vector<ChunkId> ChunksOf(const std::string& id) {
    auto snap = store->catalog().FindSnapshot(id);
    REQUIRE(snap.ok());
    auto manifest = store->ReadManifest(snap->name, id);
    REQUIRE(manifest.ok());
    std::vector<ChunkId> out;
    for (const TreeEntry& e : manifest->entries) {
      for (const ChunkSlice& s : e.content) {
        if (std::find(out.begin(), out.end(), s.id) == out.end()) out.push_back(s.id);
      }
    }
    return out;
  }

  std::string ManifestKeyOf(const std::string& id) {
    auto snap = store->catalog().FindSnapshot(id);
    REQUIRE(snap.ok());
    return ReplicaManifestKey(snap->name, id);
  }

  std::size_t ChunkPuts() {
    std::lock_guard lock(log.mu);
    std::size_t n = 0;
    for (auto& [key, count] : log.puts) n += key.starts_with("chunks/") ? count : 0;
    return n;
  }
  std::size_t ChunksPutTwice() {
    std::lock_guard lock(log.mu);
    std::size_t n = 0;
    for (auto& [key, count] : log.puts) n += (key.starts_with("chunks/") && count > 1) ? count - 1 : 0;
    return n;
  }
};

}  // namespace cairn
