#include "core/store/manifest.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace cairn {
namespace {

TreeEntry FileEntry(std::string path) {
  TreeEntry e;
  e.path = std::move(path);
  e.type = EntryType::kFile;
  e.mode = 0644;
  e.size = 5;
  e.mtime_ns = 1234567890123456789;
  ChunkSlice s;
  s.id.bytes[0] = 0xab;
  s.offset = 7;
  s.length = 5;
  e.content.push_back(s);
  return e;
}

TEST_CASE("Manifest: entries survive a round trip, raw non-UTF-8 names included", "[unit]") {
  Manifest m;
  m.snapshot_id = "0011223344556677";
  m.name = "web";
  m.created_unix_ns = 42;
  m.hostname = "host\xff";  // repaired, informational
  m.tags = {"daily"};
  m.entries.push_back(FileEntry("caf\xe9/na\"me\\with\nescapes"));
  TreeEntry link;
  link.path = "link";
  link.type = EntryType::kSymlink;
  link.mode = 0777;
  link.link_target = "../\xc3\x28target";  // invalid UTF-8 sequence
  link.xattrs = {{"user.ok", Bytes{1, 2, 3}}, {"user.\xfe", Bytes{4}}};
  m.entries.push_back(link);
  auto parsed = Manifest::Parse(AsBytes(m.Serialize()));
  REQUIRE(parsed.ok());
  REQUIRE(parsed->entries.size() == 2);
  CHECK(parsed->entries[0] == m.entries[0]);
  CHECK(parsed->entries[1] == m.entries[1]);
  CHECK(parsed->tags == m.tags);
  CHECK(parsed->hostname.rfind("host", 0) == 0);
}

TEST_CASE("Manifest: an entry is written as the documented compact JSON object", "[unit]") {
  TreeEntry e = FileEntry("dir/file");
  e.uid = 1000;
  e.sparse = {{0, 3}, {100, 2}};
  std::string streamed;
  AppendTreeEntryJson(streamed, e);
  // docs/formats.md, "TreeEntry JSON": zero and empty fields left out.
  nlohmann::json expected = nlohmann::json::parse(R"({
    "p": "dir/file", "t": "f", "m": 420, "u": 1000, "mt": 1234567890123456789, "s": 5,
    "sp": [[0, 3], [100, 2]],
    "c": [["ab00000000000000000000000000000000000000000000000000000000000000", 7, 5]]})");
  CHECK(nlohmann::json::parse(streamed) == expected);
  std::string raw;
  TreeEntry latin = FileEntry("caf\xe9");
  AppendTreeEntryJson(raw, latin);
  CHECK(nlohmann::json::parse(raw).at("p64") == "Y2Fm6Q==");  // raw bytes, base64
}

TEST_CASE("Manifest: a version from the future is refused naming both versions", "[unit]") {
  std::string text = R"({"format":"cairn-snapshot","version":9,"entries":[]})";
  auto r = Manifest::Parse(AsBytes(text));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message().find("v9") != std::string::npos);
  CHECK(r.error().message().find("v1") != std::string::npos);
  CHECK(Manifest::Parse(AsBytes("not json")).error().IsCorruption());
}

TEST_CASE("Manifest: header numbers must be integers of their field's range, never cast",
          "[unit]") {
  // Found by tests/fuzz/manifest_fuzz: 1.7e22 as created_unix_ns was cast to
  // an int64 (undefined behaviour), 1.5 files truncated to 1.
  const std::string head =
      R"({"format":"cairn-snapshot","version":1,"snapshot_id":"0011223344556677","name":"web",)";
  for (const char* tail :
       {R"("created_unix_ns":1.7e22,"entries":[]})",
        R"("created_unix_ns":1,"figures":{"files":1.5},"entries":[]})",
        R"("created_unix_ns":1,"figures":{"bytes_read":-1},"entries":[]})",
        R"("created_unix_ns":1,"lock_until_unix_ns":99999999999999999999,"entries":[]})"}) {
    INFO(tail);
    auto r = Manifest::Parse(AsBytes(head + tail));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().IsCorruption());
    CHECK(r.error().message().find("expected an integer") != std::string::npos);
  }
  auto ok = Manifest::Parse(AsBytes(head + R"("created_unix_ns":-5,"figures":{"files":3},"entries":[]})"));
  REQUIRE(ok.ok());
  CHECK(ok->created_unix_ns == -5);
  CHECK(ok->figures.files == 3);
}

}  // namespace
}  // namespace cairn
