#include "core/tree/tree_entry.h"

#include <catch2/catch.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cairn {
namespace {

using nlohmann::json;

ChunkId IdOf(std::uint8_t fill) {
  ChunkId id;
  id.bytes.fill(fill);
  return id;
}

TreeEntry FullFile() {
  TreeEntry e;
  e.path = "dir/sparse.img";
  e.type = EntryType::kFile;
  e.mode = 04755;
  e.uid = 1234;
  e.gid = 5678;
  e.uname = "alice";
  e.gname = "staff";
  e.mtime_ns = 1700000000123456789;
  e.atime_ns = -1;  // before the epoch
  e.ctime_ns = 1700000001000000000;
  e.size = 64 << 20;
  e.inode = 0xffffffffffffffffULL;
  e.device = 2049;
  e.nlink = 1;
  e.xattrs = {{"user.a", Bytes{'v'}}, {"user.bin", Bytes{0, 0xff, 0x10}}, {"user.empty", {}}};
  e.sparse = {{1 << 20, 4096}, {40 << 20, 8192}};
  e.content = {{IdOf(1), 0, 10000}, {IdOf(2), 7, 2288}};
  return e;
}

TEST_CASE("TreeEntry JSON: every field survives a round trip", "[unit]") {
  const TreeEntry e = FullFile();
  REQUIRE(ValidateEntry(e).ok());
  const json j = TreeEntryToJson(e);
  CHECK(j["c"][0][0] == IdOf(1).Hex());
  CHECK(j["x"][1][1] == "AP8Q");
  auto back = TreeEntryFromJson(json::parse(j.dump()));
  REQUIRE(back.ok());
  CHECK(*back == e);

  // Through the nlohmann hooks too, in a container.
  TreeEntry link;
  link.path = "l";
  link.type = EntryType::kSymlink;
  link.mode = 0777;
  link.link_target = "/abs/target";
  TreeEntry dev;
  dev.path = "null";
  dev.type = EntryType::kCharDevice;
  dev.rdev_major = 1;
  dev.rdev_minor = 3;
  const json list = std::vector<TreeEntry>{e, link, dev};
  CHECK(list.get<std::vector<TreeEntry>>() == std::vector<TreeEntry>{e, link, dev});
}

TEST_CASE("TreeEntry JSON: zero fields are left out", "[unit]") {
  TreeEntry root;
  root.path = ".";
  root.type = EntryType::kDirectory;
  root.mode = 0755;
  CHECK(TreeEntryToJson(root).dump() == R"({"m":493,"p":".","t":"d"})");
}

Status Decode(const json& j) { return TreeEntryFromJson(j).status(); }

TEST_CASE("TreeEntry JSON: content slices that do not add up to the content are refused",
          "[unit]") {
  json j = TreeEntryToJson(FullFile());
  j["c"][1][2] = 2287;
  const Status s = Decode(j);
  CHECK(s.IsInvalidArgument());
  CHECK_THAT(s.message(), Catch::Contains("12287 bytes") && Catch::Contains("12288 content bytes"));

  TreeEntry plain;
  plain.path = "f";
  plain.size = 5;
  CHECK_THAT(ValidateEntry(plain).message(), Catch::Contains("hold 0 bytes"));
  plain.content = {{IdOf(3), 0, 5}};
  CHECK(ValidateEntry(plain).ok());
  plain.content = {{IdOf(3), 0, 5}, {IdOf(3), 0, 0}};
  CHECK_THAT(ValidateEntry(plain).message(), Catch::Contains("slice 1 is empty"));
}

TEST_CASE("TreeEntry JSON: malformed fields are refused, naming the field", "[unit]") {
  const json good = TreeEntryToJson(FullFile());
  struct Case {
    const char* name;
    std::function<void(json&)> mutate;
    const char* expect;
  };
  const std::vector<Case> cases = {
      {"bad hex id", [](json& j) { j["c"][0][0] = std::string(64, 'g'); }, "64 hex digits"},
      {"short id", [](json& j) { j["c"][0][0] = "abcd"; }, "64 hex digits"},
      {"slice offset too big", [](json& j) { j["c"][0][1] = 1ULL << 32; }, "out of range"},
      {"unknown type", [](json& j) { j["t"] = "z"; }, "\"t\" is not one of"},
      {"missing path", [](json& j) { j.erase("p"); }, "\"p\" is missing"},
      {"escaping path", [](json& j) { j["p"] = "a/../../etc"; }, "'..'"},
      {"absolute path", [](json& j) { j["p"] = "/etc/passwd"; }, "absolute"},
      {"type bits in mode", [](json& j) { j["m"] = 0100644; }, "beyond 07777"},
      {"negative uid", [](json& j) { j["u"] = -1; }, "\"u\" is out of range"},
      {"string uid", [](json& j) { j["u"] = "0"; }, "\"u\" is not an integer"},
      {"float size", [](json& j) { j["s"] = 1.5; }, "\"s\" is not an integer"},
      {"bad base64", [](json& j) { j["x"][0][1] = "!!!!"; }, "not base64"},
      {"xattr not a pair", [](json& j) { j["x"][0] = "user.a"; }, "not [name, base64 value"},
      {"too many xattrs",
       [](json& j) {
         j["x"] = json::array();
         for (int i = 0; i < 1025; ++i) j["x"].push_back({"user." + std::to_string(i), ""});
       },
       "1025 elements; the limit is 1024"},
      {"huge xattr value",
       [](json& j) { j["x"][0][1] = Base64Encode(Bytes(kMaxXattrValue + 1, 'a')); },
       "the limit is 65536"},
      {"overlapping regions", [](json& j) { j["sp"][1][0] = (1 << 20) + 100; }, "overlaps"},
      {"region beyond size", [](json& j) { j["sp"][1][0] = 64ULL << 20; }, "beyond the size"},
      {"long uname", [](json& j) { j["un"] = std::string(256, 'u'); }, "longer than 255"},
      {"symlink target on a file", [](json& j) { j["lt"] = "x"; }, "has no link target"},
      {"not an object", [](json& j) { j = json::array(); }, "not a JSON object"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    json j = good;
    c.mutate(j);
    const Status s = Decode(j);
    CHECK(s.IsInvalidArgument());
    CHECK_THAT(s.message(), Catch::Contains(c.expect));
  }
}

TEST_CASE("TreeEntry JSON: type-specific rules hold for links and special files", "[unit]") {
  TreeEntry hard;
  hard.path = "b";
  hard.type = EntryType::kHardlink;
  hard.link_target = "../../etc/passwd";
  CHECK_THAT(ValidateEntry(hard).message(),
             Catch::Contains("hard link target") && Catch::Contains("'..'"));
  hard.link_target = "a";
  CHECK(ValidateEntry(hard).ok());
  hard.size = 3;
  CHECK_THAT(ValidateEntry(hard).message(), Catch::Contains("has size 0"));

  TreeEntry sym;
  sym.path = "s";
  sym.type = EntryType::kSymlink;
  CHECK_THAT(ValidateEntry(sym).message(), Catch::Contains("empty target"));
  sym.link_target = std::string("a\0b", 3);
  CHECK_THAT(ValidateEntry(sym).message(), Catch::Contains("NUL"));

  TreeEntry fifo;
  fifo.path = "p";
  fifo.type = EntryType::kFifo;
  fifo.rdev_major = 1;
  CHECK_THAT(ValidateEntry(fifo).message(), Catch::Contains("no device number"));

  TreeEntry hole;  // all hole: the lone {size, 0} marker
  hole.path = "h";
  hole.size = 100;
  hole.sparse = {{100, 0}};
  CHECK(hole.ContentLength() == 0);
  CHECK(ValidateEntry(hole).ok());
  hole.sparse = {{0, 0}};
  CHECK_THAT(ValidateEntry(hole).message(), Catch::Contains("is empty"));
}

TEST_CASE("TreeEntry JSON: from_json throws a json exception carrying the reason", "[unit]") {
  json j = TreeEntryToJson(FullFile());
  j["p"] = "../x";
  try {
    (void)j.get<TreeEntry>();
    FAIL("no exception");
  } catch (const json::exception& e) {
    CHECK_THAT(e.what(), Catch::Contains("'..'"));
  }
}

TEST_CASE("Base64: RFC 4648 test vectors encode and decode", "[unit]") {
  const std::vector<std::pair<std::string, std::string>> vectors = {{"", ""},
                                                                    {"f", "Zg=="},
                                                                    {"fo", "Zm8="},
                                                                    {"foo", "Zm9v"},
                                                                    {"foob", "Zm9vYg=="},
                                                                    {"fooba", "Zm9vYmE="},
                                                                    {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    CHECK(Base64Encode(AsBytes(plain)) == encoded);
    auto decoded = Base64Decode(encoded);
    REQUIRE(decoded);
    CHECK(AsChars(*decoded) == plain);
  }
  for (const char* bad : {"Zg=", "Z===", "Zg=a", "Zm9v!A==", "=Zm9"}) {
    INFO(bad);
    CHECK_FALSE(Base64Decode(bad));
  }
}

}  // namespace
}  // namespace cairn
