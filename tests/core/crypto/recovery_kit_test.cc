#include "core/crypto/recovery_kit.h"

#include <catch2/catch.hpp>
#include <sstream>
#include <vector>

namespace cairn {
namespace {

MasterKey TestKey() {
  MasterKey key;
  for (std::size_t i = 0; i < key.bytes.size(); ++i) {
    key.bytes[i] = static_cast<std::uint8_t>(0x9e * i + 0x31);
  }
  return key;
}

const Bytes kStoreId = *FromHex("0123456789abcdef0011223344556677");

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// 1-based number of the first line that starts (after spaces) with `prefix`.
std::size_t LineOf(const std::vector<std::string>& lines, std::string_view prefix) {
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find(prefix) != std::string::npos) return i + 1;
  }
  FAIL("no line with " << prefix);
  return 0;
}

TEST_CASE("RecoveryKit: a printed kit parses back to the same key and store id", "[unit]") {
  std::string kit = FormatRecoveryKit(TestKey(), kStoreId, "/var/lib/cairn/store");
  CHECK(kit.find("CAIRN RECOVERY KIT (format 1)") == 0);
  CHECK(kit.find("0123 4567 89ab cdef 0011 2233 4455 6677") != std::string::npos);
  CHECK(kit.find("/var/lib/cairn/store") != std::string::npos);
  CHECK(kit.find("cairnctl key import --store DIR --kit FILE --key-file NEW") != std::string::npos);
  auto r = ParseRecoveryKit(kit);
  REQUIRE(r.ok());
  CHECK(r->first == TestKey());
  CHECK(r->second == kStoreId);
}

TEST_CASE("RecoveryKit: the printed text is exactly format 1 of docs/formats.md", "[unit]") {
  const std::string want =
      "CAIRN RECOVERY KIT (format 1)\n"
      "\n"
      "This page opens every backup in the store below. Keep it offline, in a safe:\n"
      "anyone who holds it can read all of the store's data.\n"
      "\n"
      "Store id:   0123 4567 89ab cdef 0011 2233 4455 6677   check 377a\n"
      "Store path: /var/lib/cairn/store   (a hint only; the store or a replica may be elsewhere)\n"
      "\n"
      "Master key (each line ends in a 4-digit check that catches a typo in it):\n"
      "  K1: 31cf 6d0b a947 e583   check 869a\n"
      "  K2: 21bf 5dfb 9937 d573   check bf46\n"
      "  K3: 11af 4deb 8927 c563   check fe93\n"
      "  K4: 019f 3ddb 7917 b553   check bd6a\n"
      "Key check:  501d 34ee\n"
      "\n"
      "To open the store or a replica of it: type this page into a file (spacing and\n"
      "upper/lower case do not matter; the lines above are what counts) and run\n"
      "  cairnctl key import --store DIR --kit FILE --key-file NEW\n"
      "which checks every line, then writes a new key file NEW that opens the store in DIR.\n";
  CHECK(FormatRecoveryKit(TestKey(), kStoreId, "/var/lib/cairn/store") == want);
}

TEST_CASE("RecoveryKit: random keys round trip", "[unit]") {
  for (int i = 0; i < 50; ++i) {
    auto key = GenerateMasterKey();
    REQUIRE(key.ok());
    Bytes store_id(1 + i % 32, static_cast<std::uint8_t>(i));
    auto r = ParseRecoveryKit(FormatRecoveryKit(*key, store_id, "x"));
    REQUIRE(r.ok());
    CHECK(r->first == *key);
    CHECK(r->second == store_id);
  }
}

TEST_CASE("RecoveryKit: retyped with other spacing, case and dashes still parses", "[unit]") {
  std::string kit = FormatRecoveryKit(TestKey(), kStoreId, "/srv/store");
  std::vector<std::string> kept;
  for (std::string line : Lines(kit)) {
    // Keep only the lines that count, typed sloppily: upper case, no group
    // spaces, dashes, tabs, CRLF.
    bool counts = line.find("RECOVERY KIT") != std::string::npos ||
                  line.find("Store id") != std::string::npos ||
                  line.find("K") != std::string::npos ||
                  line.find("Key check") != std::string::npos;
    if (!counts) continue;
    std::string typed;
    for (char c : line) {
      if (c == ' ') continue;
      typed += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    kept.push_back("\t" + typed + "\r");
  }
  std::string& k1 = kept[LineOf(kept, "K1:") - 1];
  k1.insert(k1.find(':') + 5, "-");
  auto r = ParseRecoveryKit(Join(kept));
  INFO(Join(kept));
  REQUIRE(r.ok());
  CHECK(r->first == TestKey());
  CHECK(r->second == kStoreId);
}

TEST_CASE("RecoveryKit: one mistyped digit is caught on its own line", "[unit]") {
  const std::vector<std::string> lines = Lines(FormatRecoveryKit(TestKey(), kStoreId, "p"));
  for (std::string_view label : {"Store id:", "K1:", "K2:", "K3:", "K4:"}) {
    const std::size_t n = LineOf(lines, label);
    const std::string& line = lines[n - 1];
    const std::size_t start = line.find(label) + label.size();
    // Change every hex digit on the line in turn (including check digits).
    const std::size_t word = line.find("check");
    for (std::size_t i = start; i < line.size(); ++i) {
      char c = line[i];
      if (!std::isxdigit(static_cast<unsigned char>(c)) || (i >= word && i < word + 5)) continue;
      std::vector<std::string> typo = lines;
      typo[n - 1][i] = c == '7' ? '1' : '7';
      auto r = ParseRecoveryKit(Join(typo));
      INFO(typo[n - 1]);
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().IsInvalidArgument());
      CHECK(r.error().message().find("line " + std::to_string(n) + ":") != std::string::npos);
      CHECK(r.error().message().find("mistyped") != std::string::npos);
    }
  }
}

TEST_CASE("RecoveryKit: a mistyped whole-key check is caught", "[unit]") {
  std::vector<std::string> lines = Lines(FormatRecoveryKit(TestKey(), kStoreId, "p"));
  std::string& check = lines[LineOf(lines, "Key check:") - 1];
  char& last = check.back();
  last = last == '0' ? '1' : '0';
  auto r = ParseRecoveryKit(Join(lines));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message().find("Key check does not") != std::string::npos);
}

TEST_CASE("RecoveryKit: swapped, dropped, doubled or foreign lines are refused", "[unit]") {
  const std::vector<std::string> lines = Lines(FormatRecoveryKit(TestKey(), kStoreId, "p"));
  const std::size_t k1 = LineOf(lines, "K1:");
  const std::size_t k2 = LineOf(lines, "K2:");

  SECTION("two key lines swapped: each fails its labelled check") {
    std::vector<std::string> t = lines;
    std::string a = t[k1 - 1], b = t[k2 - 1];
    t[k1 - 1] = "  K1:" + b.substr(b.find(':') + 1);
    t[k2 - 1] = "  K2:" + a.substr(a.find(':') + 1);
    auto r = ParseRecoveryKit(Join(t));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message().find("line " + std::to_string(k1)) != std::string::npos);
  }
  SECTION("a line left out") {
    std::vector<std::string> t = lines;
    t.erase(t.begin() + static_cast<std::ptrdiff_t>(k2 - 1));
    auto r = ParseRecoveryKit(Join(t));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message().find("K2 is missing") != std::string::npos);
  }
  SECTION("a digit left out") {
    std::vector<std::string> t = lines;
    std::string& l = t[k1 - 1];
    l.erase(l.find(':') + 3, 1);
    auto r = ParseRecoveryKit(Join(t));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message().find("19 hex digits") != std::string::npos);
  }
  SECTION("a line typed twice") {
    std::vector<std::string> t = lines;
    t.insert(t.begin() + static_cast<std::ptrdiff_t>(k1), lines[k1 - 1]);
    auto r = ParseRecoveryKit(Join(t));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message().find("a second K1 line") != std::string::npos);
  }
  SECTION("a letter that is not hex") {
    std::vector<std::string> t = lines;
    std::string& l = t[k1 - 1];
    l[l.find(':') + 2] = 'o';
    auto r = ParseRecoveryKit(Join(t));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message().find("'o' is not a hex digit") != std::string::npos);
  }
  SECTION("lines from another kit mixed in") {
    auto other = GenerateMasterKey();
    REQUIRE(other.ok());
    std::vector<std::string> o = Lines(FormatRecoveryKit(*other, kStoreId, "p"));
    std::vector<std::string> t = lines;
    t[k2 - 1] = o[LineOf(o, "K2:") - 1];
    auto r = ParseRecoveryKit(Join(t));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message().find("two different kits") != std::string::npos);
  }
  SECTION("no title, or a newer format") {
    std::vector<std::string> t = lines;
    t[0] = "";
    CHECK(ParseRecoveryKit(Join(t)).error().message().find("title") != std::string::npos);
    t[0] = "CAIRN RECOVERY KIT (format 2)";
    CHECK(ParseRecoveryKit(Join(t)).error().message().find("line 1:") != std::string::npos);
  }
  SECTION("not a kit at all") {
    CHECK(ParseRecoveryKit("").error().IsInvalidArgument());
    CHECK(ParseRecoveryKit(std::string(100000, 'a')).error().IsInvalidArgument());
  }
}

TEST_CASE("RecoveryKit: control characters in the path hint cannot forge kit lines", "[unit]") {
  std::string kit =
      FormatRecoveryKit(TestKey(), kStoreId, "/srv\nK1: 0000 0000 0000 0000 check 0000");
  CHECK(kit.find("/srv?K1:") != std::string::npos);
  auto r = ParseRecoveryKit(kit);
  REQUIRE(r.ok());
  CHECK(r->first == TestKey());
}

}  // namespace
}  // namespace cairn
