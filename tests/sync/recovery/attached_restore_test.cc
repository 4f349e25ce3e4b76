#include "sync/recovery/attached_restore.h"

#include <fstream>

#include "core/store/chunk_reader.h"
#include "tests/sync/recovery/recovery_test_util.h"

namespace cairn {
namespace {

Result<RestoreResult> RestoreInto(Store& store, const std::string& snapshot, const fs::path& target,
                                  AttachedRestoreStats& stats) {
  auto sink = TreeRestorer::Create(target);
  if (!sink.ok()) return sink.error();
  RestoreRequest request;
  request.snapshot = snapshot;
  request.threads = 3;
  return RestoreFromStore(store, request, **sink, ReplicaSecrets{}, &stats);
}

void WriteJson(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text << "\n";
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
}

// A Kubernetes resources snapshot's shape (docs/formats.md): index.json and
// one JSON file per object under resources/<group>/<resource>/...
void MakeResourcesTree(const fs::path& root) {
  WriteJson(root / "resources/apps/deployments/namespaces/shop/web.json",
            R"({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}})");
  WriteJson(root / "resources/core/secrets/namespaces/shop/db.json",
            R"({"apiVersion": "v1", "data": {"password": "c2VjcmV0"}, "kind": "Secret"})");
  WriteJson(root / "resources/core/configmaps/namespaces/shop/big.json",
            "{\"data\": \"" + std::string(400 * 1024, 'x') + "\"}");
  WriteJson(root / "resources/rbac.authorization.k8s.io/clusterroles/cluster/admin.json",
            R"({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole"})");
  WriteJson(root / "index.json",
            R"({"format": "cairn-kube-resources", "objects": 4, "version": 1})");
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_directory()) fs::permissions(e.path(), fs::perms::owner_all);
  }
}

TEST_CASE(
    "Restore from an attached store: a volume tree comes back bit for bit, and the chunks "
    "fetched are kept so a second restore needs no replica",
    "[integration]") {
  ReplicaFixture f;
  const fs::path volume = f.src / "volumes" / "shop" / "data";
  MakeSampleTree(volume, 31);
  auto snap = f.BackupAs(f.src, "volumes-node1", "edge-1");
  REQUIRE(snap.ok());
  f.Replicate();
  auto attached = AttachReplica(DefaultFileSystem(), f.Request());
  REQUIRE(attached.ok());

  AttachedRestoreStats first;
  auto r1 = RestoreInto(*attached->store, snap->snapshot_id, f.restored, first);
  REQUIRE(r1.ok());
  CHECK(r1->errors.empty());
  CHECK(first.attached);
  CHECK(first.fetched.chunks > 0);
  CHECK(first.fetched.chunks == attached->to_pull.size());  // each chunk once
  CHECK(DiffTrees(f.src, f.restored) == "");

  // The replica goes away: the second restore reads only local chunks.
  fs::rename(f.replica, f.tmp.path() / "replica-gone");
  AttachedRestoreStats second;
  auto r2 = RestoreInto(*attached->store, "latest", f.tmp.path() / "again", second);
  REQUIRE(r2.ok());
  CHECK(r2->errors.empty());
  CHECK(second.fetched.chunks == 0);
  CHECK(DiffTrees(f.src, f.tmp.path() / "again") == "");
}

TEST_CASE("Restore from an attached store: a Kubernetes resources snapshot restores the same way",
          "[integration]") {
  ReplicaFixture f;
  MakeResourcesTree(f.src);
  auto snap = f.BackupAs(f.src, "resources", "edge-1", {"kind=resources"});
  REQUIRE(snap.ok());
  f.Replicate();
  auto attached = AttachReplica(DefaultFileSystem(), f.Request());
  REQUIRE(attached.ok());
  auto listed = attached->store->catalog().ListSnapshots();
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 1);
  CHECK((*listed)[0].tags == std::vector<std::string>{"kind=resources"});
  CHECK((*listed)[0].cluster == "edge-1");

  AttachedRestoreStats stats;
  auto r = RestoreInto(*attached->store, "latest", f.restored, stats);
  REQUIRE(r.ok());
  CHECK(r->errors.empty());
  CHECK(stats.fetched.chunks > 0);
  CHECK(DiffTrees(f.src, f.restored) == "");
}

TEST_CASE(
    "Restore from an attached store: a tampered chunk on the replica is refused as "
    "Corruption naming it, and not kept",
    "[integration]") {
  ReplicaFixture f;
  const std::string snap = f.BackUpSampleAndReplicate(33);
  const ChunkId bad = f.ChunkOf("t", snap, "a/b/medium.bin");
  FlipByte(f.ReplicaChunkPath(bad), 100);
  auto attached = AttachReplica(DefaultFileSystem(), f.Request());
  REQUIRE(attached.ok());
  Store& store = *attached->store;

  // The fetch itself.
  {
    TestTarget target(f.replica, f.log);
    ChunkReader reader(store);
    auto pulled = PullChunk(target, reader, store, bad, nullptr);
    REQUIRE_FALSE(pulled.ok());
    CHECK(pulled.error().IsCorruption());
    CHECK_THAT(pulled.error().message(), Catch::Contains(bad.Hex()));
    REQUIRE(store.CommitChunks().ok());
    CHECK_FALSE(fs::exists(store.ChunkPath(bad)));
  }
  // A restore: only the file using it fails, naming the chunk.
  AttachedRestoreStats stats;
  auto r = RestoreInto(store, "latest", f.restored, stats);
  REQUIRE(r.ok());
  REQUIRE(r->errors.size() == 1);
  CHECK_THAT(r->errors[0], Catch::StartsWith("a/b/medium.bin: ") && Catch::Contains(bad.Hex()));
  CHECK_FALSE(fs::exists(store.ChunkPath(bad)));
  CHECK(fs::exists(store.ChunkPath(f.ChunkOf("t", snap, "a/b/c/large.bin"))));
}

TEST_CASE(
    "Restore from an attached store: a chunk on neither side fails the files using it, "
    "saying so",
    "[integration]") {
  ReplicaFixture f;
  const ChunkId lost = f.ChunkOf("t", f.BackUpSampleAndReplicate(34), "a/b/c/large.bin");
  auto attached = AttachReplica(DefaultFileSystem(), f.Request());
  REQUIRE(attached.ok());
  REQUIRE(fs::remove(f.ReplicaChunkPath(lost)));  // gone after attach
  AttachedRestoreStats stats;
  auto r = RestoreInto(*attached->store, "latest", f.restored, stats);
  REQUIRE(r.ok());
  REQUIRE_FALSE(r->errors.empty());
  for (const std::string& e : r->errors) {
    CHECK_THAT(e, Catch::Contains("large") && Catch::Contains("missing from the replica"));
  }
}

TEST_CASE("Restore from a store that was never attached reads only the store", "[integration]") {
  ReplicaFixture f;
  MakeSampleTree(f.src, 35);
  REQUIRE(StoreFixture::Backup(*f.store, f.src, "t").ok());
  AttachedRestoreStats stats;
  auto r = RestoreInto(*f.store, "latest", f.restored, stats);
  REQUIRE(r.ok());
  CHECK(r->errors.empty());
  CHECK_FALSE(stats.attached);
  CHECK(DiffTrees(f.src, f.restored) == "");
}

}  // namespace
}  // namespace cairn
