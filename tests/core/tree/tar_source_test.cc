#include "core/tree/tar_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "core/tree/tree_restorer.h"
#include "tests/support/temp_dir.h"

namespace cairn {
namespace {

namespace fs = std::filesystem;


struct RawEntry {
  std::string path;
  std::string data;
  std::string hardlink;  // non-empty: a hard link entry
};

// Writes entries with libarchive directly, bypassing every Cairn check, as a
// hostile client would.
fs::path WriteRawTar(const fs::path& dir, const std::vector<RawEntry>& entries, bool gzip = false) {
  const fs::path out = dir / (gzip ? "raw.tar.gz" : "raw.tar");
  ArchiveHandle a(archive_write_new());
  REQUIRE(archive_write_set_format_pax(a.get()) == ARCHIVE_OK);
  if (gzip) REQUIRE(archive_write_add_filter_gzip(a.get()) == ARCHIVE_OK);
  REQUIRE(archive_write_open_filename(a.get(), out.c_str()) == ARCHIVE_OK);
  for (const RawEntry& r : entries) {
    ArchiveEntryHandle e(archive_entry_new());
    archive_entry_set_pathname(e.get(), r.path.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0644);
    if (!r.hardlink.empty()) {
      archive_entry_set_hardlink(e.get(), r.hardlink.c_str());
      archive_entry_set_size(e.get(), 0);
    } else {
      archive_entry_set_size(e.get(), static_cast<la_int64_t>(r.data.size()));
    }
    REQUIRE(archive_write_header(a.get(), e.get()) == ARCHIVE_OK);
    if (!r.data.empty()) {
      REQUIRE(archive_write_data(a.get(), r.data.data(), r.data.size()) ==
              static_cast<la_ssize_t>(r.data.size()));
    }
  }
  REQUIRE(archive_write_close(a.get()) == ARCHIVE_OK);
  return out;
}

class FdCloser {
 public:
  explicit FdCloser(const fs::path& p) : fd_(::open(p.c_str(), O_RDONLY | O_CLOEXEC)) {
    REQUIRE(fd_ >= 0);
  }
  ~FdCloser() { ::close(fd_); }
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string ReadAll(TarSource& source) {
  std::string out;
  std::vector<std::uint8_t> buf(7);  // small on purpose
  while (true) {
    auto n = source.ReadData(buf);
    REQUIRE(n.ok());
    if (*n == 0) return out;
    out.append(reinterpret_cast<const char*>(buf.data()), *n);
  }
}

TEST_CASE("TarSource: escaping paths in a hostile tar are refused, naming the entry", "[unit]") {
  TempDir tmp;
  const fs::path tar = WriteRawTar(tmp.path(), {
                                                   {"ok.txt", "fine", ""},
                                                   {"../evil", "pwned", ""},
                                                   {"/tmp/cairn-abs-evil", "pwned", ""},
                                                   {"a/../../x", "pwned", ""},
                                                   {"h", "", "../../etc/passwd"},
                                                   {"./after/bad/./ones", "still read", ""},
                                               });
  FdCloser fd(tar);
  auto source = TarSource::Open(fd.get());
  REQUIRE(source.ok());
  TarSource& s = **source;

  auto first = s.Next();
  REQUIRE(first.ok());
  REQUIRE(first->has_value());
  CHECK((*first)->path == "ok.txt");
  CHECK(ReadAll(s) == "fine");

  struct Refusal {
    const char* names;
    const char* reason;
  };
  for (const Refusal& r : {Refusal{"tar entry 2 \"../evil\"", "'..'"},
                           Refusal{"tar entry 3 \"/tmp/cairn-abs-evil\"", "absolute"},
                           Refusal{"tar entry 4 \"a/../../x\"", "'..'"},
                           Refusal{"tar entry 5 \"h\"", "hard link target"},
                           Refusal{"tar entry 6 \"./after/bad/./ones\"", "'.' component"}}) {
    auto next = s.Next();
    REQUIRE_FALSE(next.ok());
    CHECK(next.status().IsInvalidArgument());
    CHECK_THAT(next.status().message(), Catch::Contains(r.names) && Catch::Contains(r.reason));
  }
  auto end = s.Next();
  REQUIRE(end.ok());
  CHECK_FALSE(end->has_value());
  CHECK_FALSE(fs::exists("/tmp/cairn-abs-evil"));
}

TEST_CASE("TarSource: leading ./ and trailing / are normalised away", "[unit]") {
  TempDir tmp;
  const fs::path tar =
      WriteRawTar(tmp.path(), {{"./", "", ""}, {"./a/b", "x", ""}, {"././c", "", ""}});
  FdCloser fd(tar);
  auto source = TarSource::Open(fd.get());
  REQUIRE(source.ok());
  std::vector<std::string> paths;
  while (true) {
    auto next = (*source)->Next();
    REQUIRE(next.ok());
    if (!next->has_value()) break;
    paths.push_back((*next)->path);
  }
  CHECK(paths == std::vector<std::string>{".", "a/b", "c"});
}

TEST_CASE("TarSource: the entry count is bounded", "[unit]") {
  TempDir tmp;
  const fs::path tar = WriteRawTar(tmp.path(), {{"a", "", ""}, {"b", "", ""}, {"c", "", ""}});
  FdCloser fd(tar);
  auto source = TarSource::Open(fd.get(), {.max_entries = 2});
  REQUIRE(source.ok());
  REQUIRE((*source)->Next().ok());
  REQUIRE((*source)->Next().ok());
  auto third = (*source)->Next();
  REQUIRE_FALSE(third.ok());
  CHECK_THAT(third.status().message(), Catch::Contains("more than 2 entries"));
}

TEST_CASE("TarSource: compressed streams are read and garbage is refused", "[unit]") {
  TempDir tmp;
  const fs::path gz = WriteRawTar(tmp.path(), {{"f", std::string(100000, 'q'), ""}}, true);
  {
    FdCloser fd(gz);
    auto source = TarSource::Open(fd.get());
    REQUIRE(source.ok());
    auto e = (*source)->Next();
    REQUIRE(e.ok());
    REQUIRE(e->has_value());
    CHECK((*e)->size == 100000);
    CHECK(ReadAll(**source) == std::string(100000, 'q'));
    CHECK((*source)->sparse().empty());
  }
  const fs::path junk = tmp.path() / "junk";
  {
    const int fd = ::open(junk.c_str(), O_WRONLY | O_CREAT, 0600);
    const std::string text(4096, 'j');
    REQUIRE(::write(fd, text.data(), text.size()) == 4096);
    ::close(fd);
  }
  FdCloser fd(junk);
  auto source = TarSource::Open(fd.get());
  Status s = source.status();
  if (source.ok()) s = (*source)->Next().status();
  CHECK(s.IsInvalidArgument());
}

TEST_CASE("TarSource: a truncated stream is an error, not a short file", "[unit]") {
  TempDir tmp;
  const fs::path tar = WriteRawTar(tmp.path(), {{"big", std::string(50000, 'b'), ""}});
  fs::resize_file(tar, 512 * 3 + 20000);  // pax header + ustar header + part of the data
  FdCloser fd(tar);
  auto source = TarSource::Open(fd.get());
  REQUIRE(source.ok());
  auto e = (*source)->Next();
  REQUIRE(e.ok());
  std::vector<std::uint8_t> buf(1 << 16);
  Status s;
  while (s.ok()) {
    auto n = (*source)->ReadData(buf);
    s = n.status();
    if (s.ok() && *n == 0) break;
  }
  CHECK_FALSE(s.ok());
}

TEST_CASE("TarSource into TreeRestorer: a hostile stream writes nothing outside the target",
          "[integration]") {
  TempDir tmp;
  fs::create_directories(tmp.path() / "target");
  const fs::path tar = WriteRawTar(
      tmp.path(),
      {{"good", "g", ""}, {"../escaped", "pwned", ""}, {"sub/../../escaped2", "pwned", ""}});
  FdCloser fd(tar);
  auto source = TarSource::Open(fd.get());
  REQUIRE(source.ok());
  auto restorer = TreeRestorer::Create(tmp.path() / "target");
  REQUIRE(restorer.ok());
  int refused = 0;
  while (true) {
    auto next = (*source)->Next();
    if (!next.ok()) {
      ++refused;
      continue;
    }
    if (!next->has_value()) break;
    const std::string data = ReadAll(**source);
    REQUIRE((*restorer)->Begin(**next).ok());
    REQUIRE((*restorer)->Write(0, AsBytes(data)).ok());
    REQUIRE((*restorer)->End().ok());
  }
  REQUIRE((*restorer)->Finish().ok());
  CHECK(refused == 2);
  CHECK(fs::exists(tmp.path() / "target/good"));
  CHECK_FALSE(fs::exists(tmp.path() / "escaped"));
  CHECK_FALSE(fs::exists(tmp.path() / "escaped2"));
}

}  // namespace
}  // namespace cairn
