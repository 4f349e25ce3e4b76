// ReplicaStore (appliance/daemon), the receiving side's disk, without the
// network: key order across directories whose names sort differently from
// their keys, paging with `after` and `prefix`, temporaries never listed,
// append-only puts and the running sums they report.
#include "appliance/daemon/replica_store.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <vector>

#include "core/store/store.h"
#include "tests/support/temp_dir.h"

namespace cairn {
namespace {

const std::string kPeer = "peer-0123456789abcdef";

std::vector<std::string> AllKeys(ReplicaStore& store, const std::string& prefix,
                                 std::size_t page_size) {
  std::vector<std::string> keys;
  std::string after;
  for (int pages = 0; pages < 1000; ++pages) {
    auto page = store.List(kPeer, prefix, after, page_size);
    REQUIRE(page.ok());
    REQUIRE(page->keys.size() <= page_size);
    for (const auto& k : page->keys) keys.push_back(k.key);
    if (!page->truncated) return keys;
    after = page->keys.back().key;
  }
  FAIL("listing does not end");
  return keys;
}

TEST_CASE("ReplicaStore: keys list in key order, page by page, whatever the directory order",
          "[unit][peer]") {
  TempDir dir;
  ReplicaStore store(DefaultFileSystem(), dir.path() / "replicas");
  // "a-b/" sorts before "a/" as keys, after "a" as directory names.
  const std::vector<std::string> keys = {"chunks/00/00" + std::string(62, '1'),
                                         "chunks/0a/0a" + std::string(62, '2'),
                                         "chunks/0a/0a" + std::string(62, '3'),
                                         "chunks/ff/ff" + std::string(62, '4'),
                                         "config",
                                         "snapshots/a-b/0000000000000002",
                                         "snapshots/a.c/0000000000000004",
                                         "snapshots/a/0000000000000001",
                                         "snapshots/a/0000000000000003",
                                         "snapshots/b/0000000000000005"};
  for (auto it = keys.rbegin(); it != keys.rend(); ++it) {
    auto put = store.Put(kPeer, *it, AsBytes("x" + *it), 1 << 20);
    INFO(*it << ": " << put.status().ToString());
    REQUIRE(put.ok());
    CHECK(put->written);
    CHECK(put->objects_delta == 1);
    CHECK(put->bytes_delta == static_cast<std::int64_t>(it->size() + 1));
  }
  // A temporary left by a crash is not an object.
  std::ofstream(dir.path() / "replicas" / kPeer / "chunks" / "0a" / "tmp-stray") << "junk";
  std::ofstream(dir.path() / "replicas" / kPeer / "config.tmp-1-2-3") << "junk";

  for (std::size_t page : {1, 2, 3, 1000}) {
    INFO("page size " << page);
    CHECK(AllKeys(store, "", page) == keys);
  }
  CHECK(AllKeys(store, "snapshots/a", 2) ==
        std::vector<std::string>(keys.begin() + 5, keys.begin() + 9));
  CHECK(AllKeys(store, "snapshots/a/", 1) ==
        std::vector<std::string>(keys.begin() + 7, keys.begin() + 9));
  CHECK(AllKeys(store, "chunks/0a/", 1) ==
        std::vector<std::string>(keys.begin() + 1, keys.begin() + 3));
  CHECK(AllKeys(store, "co", 5) == std::vector<std::string>{"config"});
  CHECK(AllKeys(store, "zzz", 5).empty());
  auto sized = store.List(kPeer, "config", "", 10);
  REQUIRE(sized.ok());
  REQUIRE(sized->keys.size() == 1);
  CHECK(sized->keys[0].size == std::string("xconfig").size());

  // Another peer, or one that pushed nothing, has no keys.
  auto empty = store.List("peer-ffffffffffffffff", "", "", 10);
  REQUIRE(empty.ok());
  CHECK(empty->keys.empty());
  CHECK(store.List(kPeer, "", "", 0).status().IsInvalidArgument());
  CHECK(store.List("../x", "", "", 10).status().IsInvalidArgument());
}

TEST_CASE("ReplicaStore: objects are never replaced but config, and bounded per kind",
          "[unit][peer]") {
  TempDir dir;
  ReplicaStore store(DefaultFileSystem(), dir.path() / "replicas");
  const std::string chunk = "chunks/ab/ab" + std::string(62, '0');
  const std::string manifest = "snapshots/v/0123456789abcdef";
  REQUIRE(store.Put(kPeer, chunk, AsBytes("one"), 1 << 20).ok());
  auto again = store.Put(kPeer, chunk, AsBytes("other bytes"), 1 << 20);
  REQUIRE(again.ok());
  CHECK_FALSE(again->written);
  CHECK(again->objects_delta == 0);
  auto held = store.Get(kPeer, chunk, 100);
  REQUIRE(held.ok());
  CHECK(std::string(held->begin(), held->end()) == "one");

  REQUIRE(store.Put(kPeer, manifest, AsBytes("m1"), 1 << 20).ok());
  CHECK_FALSE(store.Put(kPeer, manifest, AsBytes("m1"), 1 << 20)->written);
  CHECK(store.Put(kPeer, manifest, AsBytes("m2"), 1 << 20).status().IsAlreadyExists());
  CHECK(store.Put(kPeer, manifest, AsBytes("m1 longer"), 1 << 20).status().IsAlreadyExists());

  REQUIRE(store.Put(kPeer, "config", AsBytes("12345"), 1 << 20).ok());
  auto replaced = store.Put(kPeer, "config", AsBytes("12"), 1 << 20);
  REQUIRE(replaced.ok());
  CHECK(replaced->written);
  CHECK(replaced->objects_delta == 0);
  CHECK(replaced->bytes_delta == -3);

  CHECK(store.Put(kPeer, "config", Bytes(ReplicaStore::kMaxConfigBytes + 1), 1 << 30)
            .status()
            .IsInvalidArgument());
  CHECK(store
            .Put(kPeer, "chunks/cd/cd" + std::string(62, '0'),
                 Bytes(Store::kMaxSealedChunkBytes + 1), 1 << 30)
            .status()
            .IsInvalidArgument());
  CHECK(store.Put(kPeer, "snapshots/v/1123456789abcdef", Bytes(101), 100)
            .status()
            .IsInvalidArgument());
  CHECK(store.Get(kPeer, "snapshots/v/1123456789abcdef", 100).status().IsNotFound());
  CHECK(store.Get(kPeer, "config", 1).status().IsInvalidArgument());
}

}  // namespace
}  // namespace cairn
