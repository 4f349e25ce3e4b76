#include "agent/volumes/volume_source.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <random>
#include <set>

#include "core/engine/backup.h"
#include "core/engine/chunk_fetcher.h"
#include "core/engine/restore.h"
#include "core/tree/tree_restorer.h"
#include "tests/support/temp_dir.h"

namespace cairn::volumes {
namespace {

namespace fs = std::filesystem;

void WriteFile(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  REQUIRE(out.good());
}

std::string RandomBytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct Recorder : VolumeObserver {
  std::vector<std::string> calls;
  std::size_t fail_before = static_cast<std::size_t>(-1);
  Status BeforeVolume(std::size_t i) override {
    calls.push_back("before " + std::to_string(i));
    if (i == fail_before) return Status::Cancelled("pre hook failed");
    return Status::Ok();
  }
  Status AfterVolume(std::size_t i) override {
    calls.push_back("after " + std::to_string(i));
    return Status::Ok();
  }
};

// Two namespaces, three PVCs; volume "b/logs" has a hard link.
struct Volumes {
  TempDir tmp{"cairn-volsrc"};
  fs::path db = tmp.path() / "pods/u1/volumes/kubernetes.io~csi/pv-db/mount";
  fs::path cache = tmp.path() / "pods/u1/volumes/kubernetes.io~csi/pv-cache/mount";
  fs::path logs = tmp.path() / "pods/u2/volumes/kubernetes.io~local-volume/pv-logs";
  Volumes() {
    WriteFile(db / "pg/base.dat", RandomBytes(700 * 1024, 1));
    WriteFile(db / "pg/conf", "max_connections=10\n");
    WriteFile(cache / "c.bin", RandomBytes(700 * 1024, 2));
    WriteFile(logs / "app.log", "line 1\n");
    fs::create_hard_link(logs / "app.log", logs / "app.log.1");
  }
  std::vector<VolumeDir> Dirs() const {
    // Out of order on purpose: the source sorts them.
    return {{{"b", "logs"}, logs}, {{"a", "db"}, db}, {{"a", "cache"}, cache}};
  }
};

std::vector<TreeEntry> ListAll(VolumeSource& source) {
  std::vector<TreeEntry> out;
  for (int i = 0; i < 1000; ++i) {
    auto e = source.Next();
    REQUIRE(e.ok());
    if (!e->has_value()) break;
    out.push_back(**e);
  }
  return out;
}

TEST_CASE("VolumeSource: entries are re-rooted under volumes/<ns>/<pvc>, volumes in sorted order",
          "[unit]") {
  Volumes v;
  Recorder rec;
  auto source = VolumeSource::Open(v.Dirs(), "volumes of node-a", &rec);
  REQUIRE(source.ok());
  std::vector<TreeEntry> entries = ListAll(**source);
  std::vector<std::string> paths;
  for (const TreeEntry& e : entries) paths.push_back(e.path);
  CHECK(paths == std::vector<std::string>{"volumes", "volumes/a", "volumes/a/cache",
                                          "volumes/a/cache/c.bin", "volumes/a/db",
                                          "volumes/a/db/pg", "volumes/a/db/pg/base.dat",
                                          "volumes/a/db/pg/conf", "volumes/b", "volumes/b/logs",
                                          "volumes/b/logs/app.log", "volumes/b/logs/app.log.1"});
  CHECK(rec.calls == std::vector<std::string>{"before 0", "after 0", "before 1", "after 1",
                                              "before 2", "after 2"});
  const TreeEntry& link = entries.back();
  CHECK(link.type == EntryType::kHardlink);
  CHECK(link.link_target == "volumes/b/logs/app.log");
  // Files keep what the files cache needs.
  CHECK(entries[3].inode != 0);
  CHECK(entries[3].ctime_ns != 0);
  CHECK((*source)->supports_files_cache());
  CHECK((*source)->description() == "volumes of node-a");
}

TEST_CASE("VolumeSource: file content is read from the volume's own directory", "[unit]") {
  Volumes v;
  auto source = VolumeSource::Open(v.Dirs(), "d");
  REQUIRE(source.ok());
  std::string conf;
  for (int i = 0; i < 1000; ++i) {
    auto e = (*source)->Next();
    REQUIRE(e.ok());
    if (!e->has_value()) break;
    if ((*e)->path != "volumes/a/db/pg/conf") continue;
    auto stream = (*source)->OpenContent(**e);
    REQUIRE(stream.ok());
    Bytes buf(4096);
    auto n = (*stream)->Read(MutableByteSpan(buf.data(), buf.size()));
    REQUIRE(n.ok());
    conf.assign(reinterpret_cast<const char*>(buf.data()), *n);
  }
  CHECK(conf == "max_connections=10\n");
}

TEST_CASE("VolumeSource: a missing directory is a warning and the observer still hears both calls",
          "[unit]") {
  Volumes v;
  Recorder rec;
  std::vector<VolumeDir> dirs = v.Dirs();
  dirs.push_back({{"a", "gone"}, v.tmp.path() / "nowhere"});
  auto source = VolumeSource::Open(dirs, "d", &rec);
  REQUIRE(source.ok());
  std::vector<TreeEntry> entries = ListAll(**source);
  CHECK(entries.size() == 12);
  std::vector<std::string> warnings = (*source)->TakeWarnings();
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], Catch::Contains("volume a/gone skipped"));
  CHECK(rec.calls.size() == 8);
}

TEST_CASE("VolumeSource: an observer error stops the listing", "[unit]") {
  Volumes v;
  Recorder rec;
  rec.fail_before = 1;
  auto source = VolumeSource::Open(v.Dirs(), "d", &rec);
  REQUIRE(source.ok());
  Status failed;
  for (int i = 0; i < 1000 && failed.ok(); ++i) {
    auto e = (*source)->Next();
    if (!e.ok()) failed = e.error();
    else if (!e->has_value()) break;
  }
  CHECK(failed.code() == Status::Code::kCancelled);
  CHECK(rec.calls == std::vector<std::string>{"before 0", "after 0", "before 1"});
}

TEST_CASE("VolumeSource: bad names and a PVC listed twice are refused", "[unit]") {
  CHECK_FALSE(VolumeSource::Open({{{"a", ".."}, "/tmp"}}, "d").ok());
  CHECK_FALSE(VolumeSource::Open({{{"A", "x"}, "/tmp"}}, "d").ok());
  CHECK_FALSE(VolumeSource::Open({{{"a", "x/y"}, "/tmp"}}, "d").ok());
  auto twice = VolumeSource::Open({{{"a", "x"}, "/tmp"}, {{"a", "x"}, "/var"}}, "d");
  REQUIRE_FALSE(twice.ok());
  CHECK_THAT(twice.error().message(), Catch::Contains("listed twice"));
}

// Counts the chunks a restore asks for.
class CountingFetcher : public ChunkFetcher {
 public:
  CountingFetcher(Store& store, std::set<ChunkId>* fetched) : inner_(store), fetched_(fetched) {}
  Result<Bytes> Fetch(const ChunkId& id) override {
    fetched_->insert(id);  // one fetcher in the test: no lock needed
    return inner_.Fetch(id);
  }

 private:
  StoreChunkFetcher inner_;
  std::set<ChunkId>* fetched_;
};

TEST_CASE("VolumeSource: the files cache skips unchanged files, and one PVC restores alone",
          "[integration]") {
  Volumes v;
  TempDir store_tmp{"cairn-volstore"};
  const fs::path dir = store_tmp.path() / "store", key = store_tmp.path() / "key";
  REQUIRE(Store::Init(DefaultFileSystem(), dir, key, StoreOptions{}).ok());
  auto store = Store::Open(DefaultFileSystem(), dir, KeySource{key, std::nullopt});
  REQUIRE(store.ok());
  BackupRequest request;
  request.name = "volumes-node-a";
  request.threads = 2;
  auto backup = [&]() {
    auto source = VolumeSource::Open(v.Dirs(), "volumes of node-a");
    REQUIRE(source.ok());
    auto result = RunBackup(**store, **source, request);
    INFO(result.status().ToString());
    REQUIRE(result.ok());
    return *result;
  };
  BackupResult first = backup();
  CHECK(first.figures.files == 4);  // the hard link is not a second file
  CHECK(first.figures.files_unchanged == 0);
  CHECK(first.figures.bytes_read == first.figures.bytes_logical);

  BackupResult second = backup();
  CHECK(second.parent_id == first.snapshot_id);
  CHECK(second.figures.files_unchanged == 4);
  CHECK(second.figures.bytes_read == 0);

  WriteFile(v.db / "pg/conf", "max_connections=20\n");
  BackupResult third = backup();
  CHECK(third.figures.files_unchanged == 3);
  CHECK(third.figures.bytes_read == std::string("max_connections=20\n").size());

  // Restore a/db only: nothing of a/cache's large file is fetched.
  auto manifest = (*store)->ReadManifest("volumes-node-a", third.snapshot_id);
  REQUIRE(manifest.ok());
  std::set<ChunkId> cache_chunks;
  for (const TreeEntry& e : manifest->entries) {
    if (e.path == "volumes/a/cache/c.bin") {
      for (const ChunkSlice& s : e.content) cache_chunks.insert(s.id);
    }
  }
  REQUIRE_FALSE(cache_chunks.empty());
  Manifest one = VolumeManifest(*manifest, PvcRef{"a", "db"});
  CHECK(one.entries.front().path == ".");
  std::set<ChunkId> fetched;
  std::vector<std::unique_ptr<ChunkFetcher>> fetchers;
  fetchers.push_back(std::make_unique<CountingFetcher>(**store, &fetched));
  auto sink = TreeRestorer::Create(store_tmp.path() / "restored" / "a" / "db");
  REQUIRE(sink.ok());
  RestoreRequest restore;
  restore.threads = 1;
  auto restored = RestoreManifest(one, std::move(fetchers), restore, **sink);
  REQUIRE(restored.ok());
  CHECK(restored->errors.empty());
  CHECK(restored->files == 2);
  for (const ChunkId& id : fetched) CHECK(cache_chunks.count(id) == 0);
  CHECK(ReadFile(store_tmp.path() / "restored/a/db/pg/conf") == "max_connections=20\n");
  CHECK(ReadFile(store_tmp.path() / "restored/a/db/pg/base.dat") == ReadFile(v.db / "pg/base.dat"));
  CHECK_FALSE(fs::exists(store_tmp.path() / "restored/a/db/c.bin"));
}

}  // namespace
}  // namespace cairn::volumes
