#include "agent/volumes/volume_layout.h"

#include <catch2/catch.hpp>

namespace cairn::volumes {
namespace {

TEST_CASE("Volume layout: --pvc takes NAMESPACE/NAME with Kubernetes' name rules", "[unit]") {
  auto ok = ParsePvcRef("shop/data-db-0");
  REQUIRE(ok.ok());
  CHECK(*ok == PvcRef{"shop", "data-db-0"});
  CHECK(ParsePvcRef("shop/data.v1").ok());
  for (const char* bad : {"data", "shop/", "/data", "a/b/c", "Shop/x", "shop/..", "shop/-x",
                          "sh_op/x", "shop/x y"}) {
    INFO(bad);
    auto r = ParsePvcRef(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().IsInvalidArgument());
  }
  CHECK_THAT(ParsePvcRef("data").error().message(), Catch::Contains("NAMESPACE/NAME"));
}

TEST_CASE("Volume layout: a PVC's entries are picked out of a manifest and re-rooted to '.'",
          "[unit]") {
  auto entry = [](std::string path, EntryType type = EntryType::kFile, std::string link = "") {
    TreeEntry e;
    e.path = std::move(path);
    e.type = type;
    e.link_target = std::move(link);
    return e;
  };
  Manifest m;
  m.snapshot_id = "0123456789abcdef";
  m.entries = {entry("volumes", EntryType::kDirectory),
               entry("volumes/a", EntryType::kDirectory),
               entry("volumes/a/db", EntryType::kDirectory),
               entry("volumes/a/db/f"),
               entry("volumes/a/db/g", EntryType::kHardlink, "volumes/a/db/f"),
               entry("volumes/a/db2", EntryType::kDirectory),
               entry("volumes/a/db2/f"),
               entry("volumes/b", EntryType::kDirectory),
               entry("volumes/b/db", EntryType::kDirectory),
               entry("resources/x.json")};
  CHECK(ListSnapshotVolumes(m) == std::vector<PvcRef>{{"a", "db"}, {"a", "db2"}, {"b", "db"}});
  Manifest one = VolumeManifest(m, PvcRef{"a", "db"});
  CHECK(one.snapshot_id == m.snapshot_id);
  REQUIRE(one.entries.size() == 3);
  CHECK(one.entries[0].path == ".");
  CHECK(one.entries[1].path == "f");
  CHECK(one.entries[2].path == "g");
  CHECK(one.entries[2].link_target == "f");

  TreeEntry back = one.entries[2];
  RerootEntry(back, VolumePrefix(PvcRef{"a", "db"}));
  CHECK(back.path == "volumes/a/db/g");
  CHECK(back.link_target == "volumes/a/db/f");
}

}  // namespace
}  // namespace cairn::volumes
