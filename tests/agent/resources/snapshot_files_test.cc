#include "agent/resources/snapshot_files.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "tests/support/temp_dir.h"

namespace cairn::kube {
namespace {

TreeEntry File(const std::string& path, std::uint64_t size) {
  TreeEntry e;
  e.path = path;
  e.type = EntryType::kFile;
  e.mode = 0644;
  e.size = size;
  return e;
}

Status PutFile(SnapshotFilesSink& sink, const std::string& path, const std::string& content) {
  CAIRN_RETURN_IF_ERROR(sink.Begin(File(path, content.size())));
  CAIRN_RETURN_IF_ERROR(sink.Write(0, AsBytes(content)));
  return sink.End();
}

TEST_CASE("SnapshotFilesSink: keeps regular files and passes over directories", "[unit]") {
  SnapshotFilesSink sink;
  TreeEntry dir;
  dir.path = "resources";
  dir.type = EntryType::kDirectory;
  dir.mode = 0755;
  // The engine closes every begun entry, directories included (EntrySink contract).
  REQUIRE(sink.Begin(dir).ok());
  CHECK_FALSE(sink.Write(0, AsBytes(std::string("x"))).ok());
  REQUIRE(sink.End().ok());
  REQUIRE(PutFile(sink, "index.json", "{}").ok());
  REQUIRE(PutFile(sink, "resources/core/configmaps/namespaces/a/b.json", "{\"x\":1}").ok());
  REQUIRE(sink.Finish().ok());
  SnapshotFiles files = sink.Take();
  REQUIRE(files.files.size() == 2);
  CHECK(files.files["resources/core/configmaps/namespaces/a/b.json"] == "{\"x\":1}");
  CHECK(files.total_bytes == 9);
  CHECK(files.refused.empty());
}

TEST_CASE("SnapshotFilesSink: refuses symlinks, devices and oversized or excess files", "[unit]") {
  SnapshotFilesLimits limits;
  limits.max_file_bytes = 10;
  limits.max_total_bytes = 15;
  limits.max_files = 2;
  SnapshotFilesSink sink(limits);
  TreeEntry link;
  link.path = "resources/evil";
  link.type = EntryType::kSymlink;
  link.link_target = "/etc/passwd";
  CHECK_FALSE(sink.Begin(link).ok());
  TreeEntry fifo;
  fifo.path = "fifo";
  fifo.type = EntryType::kFifo;
  CHECK_FALSE(sink.Begin(fifo).ok());
  CHECK_FALSE(sink.Begin(File("big.json", 11)).ok());       // over the per-file limit
  REQUIRE(PutFile(sink, "a.json", "0123456789").ok());      // 10 bytes
  CHECK_FALSE(sink.Begin(File("b.json", 6)).ok());          // total would be 16 > 15
  REQUIRE(PutFile(sink, "c.json", "01234").ok());           // total 15
  CHECK_FALSE(sink.Begin(File("d.json", 0)).ok());          // a third file
  CHECK_FALSE(sink.Begin(File("../escape.json", 1)).ok());  // unsafe path
  REQUIRE(sink.Finish().ok());
  SnapshotFiles files = sink.Take();
  CHECK(files.files.size() == 2);
  CHECK(files.refused.size() == 6);
}

TEST_CASE("SnapshotFilesSink: a short file is refused, not kept truncated", "[unit]") {
  SnapshotFilesSink sink;
  REQUIRE(sink.Begin(File("a.json", 4)).ok());
  REQUIRE(sink.Write(0, AsBytes(std::string("ab"))).ok());
  CHECK_FALSE(sink.Write(5, AsBytes(std::string("x"))).ok());  // out of order
  CHECK_FALSE(sink.End().ok());
  REQUIRE(sink.Finish().ok());
  CHECK(sink.Take().files.empty());
}

TEST_CASE("LoadSnapshotDir: reads files, refuses symlinks and enforces the limits", "[unit]") {
  TempDir tmp;
  namespace fs = std::filesystem;
  fs::create_directories(tmp.path() / "resources/core/configmaps/cluster");
  std::ofstream(tmp.path() / "index.json") << "{}";
  std::ofstream(tmp.path() / "resources/core/configmaps/cluster/x.json") << "{\"a\":1}";
  fs::create_symlink("/etc/passwd", tmp.path() / "resources/link.json");
  Result<SnapshotFiles> files = LoadSnapshotDir(tmp.path());
  REQUIRE(files.ok());
  CHECK(files->files.size() == 2);
  CHECK(files->files.at("resources/core/configmaps/cluster/x.json") == "{\"a\":1}");
  REQUIRE(files->refused.size() == 1);
  CHECK(files->refused[0].find("resources/link.json") == 0);

  SnapshotFilesLimits limits;
  limits.max_files = 1;
  CHECK_FALSE(LoadSnapshotDir(tmp.path(), limits).ok());
  limits = {};
  limits.max_file_bytes = 3;
  CHECK_FALSE(LoadSnapshotDir(tmp.path(), limits).ok());
  CHECK(LoadSnapshotDir(tmp.path() / "missing").error().code() == Status::Code::kNotFound);
}

}  // namespace
}  // namespace cairn::kube
