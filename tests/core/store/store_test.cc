#include "core/store/store.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "core/crypto/sealed_object.h"
#include "core/store/chunk_reader.h"
#include "core/crypto/chunk_hasher.h"
#include "tests/support/temp_dir.h"

namespace cairn {
namespace {

struct Fixture {
  TempDir tmp;
  fs::path dir = tmp.path() / "store";
  fs::path key = tmp.path() / "store.key";
  Fixture() { REQUIRE(Store::Init(DefaultFileSystem(), dir, key, StoreOptions{}).ok()); }
  std::unique_ptr<Store> Open() {
    auto s = Store::Open(DefaultFileSystem(), dir, KeySource{key, std::nullopt});
    REQUIRE(s.ok());
    return std::move(*s);
  }
};

ChunkId PutChunk(Store& store, std::string_view text) {
  ChunkHasher hasher(store.keys().id);
  ObjectSealer sealer(store.keys().data, 3);
  ChunkId id = hasher.Hash(AsBytes(text));
  auto sealed = sealer.Seal(ObjectType::kChunk, id.bytes, AsBytes(text));
  REQUIRE(sealed.ok());
  REQUIRE(store.WriteChunk(id, *sealed).ok());
  REQUIRE(store.CommitChunks().ok());
  return id;
}

TEST_CASE("Store: init refuses to overwrite a store or a key file", "[unit]") {
  Fixture f;
  Status again = Store::Init(DefaultFileSystem(), f.dir, f.tmp.path() / "other.key", StoreOptions{});
  CHECK(again.IsAlreadyExists());
  CHECK(again.message().find("not empty") != std::string::npos);
  Status key_again = Store::Init(DefaultFileSystem(), f.tmp.path() / "s2", f.key, StoreOptions{});
  CHECK(key_again.IsAlreadyExists());
  CHECK_FALSE(fs::exists(f.tmp.path() / "s2" / "config"));
}

TEST_CASE("Store: another store's key file is refused with a clear message", "[unit]") {
  Fixture a, b;
  auto s = Store::Open(DefaultFileSystem(), a.dir, KeySource{b.key, std::nullopt});
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().IsPermissionDenied());
  CHECK(s.error().message().find("does not open the store") != std::string::npos);
}

TEST_CASE("Store: a missing store says how to create one", "[unit]") {
  TempDir tmp;
  auto s = Store::Open(DefaultFileSystem(), tmp.path() / "nothing", KeySource{tmp.path() / "k", {}});
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().IsNotFound());
  CHECK(s.error().message().find("cairnctl store init") != std::string::npos);
}

TEST_CASE("Store: an edited config fails its integrity check", "[unit]") {
  Fixture f;
  fs::path config = f.dir / "config";
  std::ifstream in(config);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto pos = text.find("\"level\": 2");
  REQUIRE(pos != std::string::npos);
  text.replace(pos, 10, "\"level\": 9");
  std::ofstream(config, std::ios::trunc) << text;
  auto s = Store::Open(DefaultFileSystem(), f.dir, KeySource{f.key, std::nullopt});
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().IsCorruption());
  CHECK(s.error().message().find("integrity") != std::string::npos);
}

TEST_CASE("Store: a passphrase slot opens the store and a wrong one does not", "[unit]") {
  Fixture f;
  REQUIRE(f.Open()->AddPassphrase("correct horse battery").ok());
  CHECK(Store::Open(DefaultFileSystem(), f.dir, KeySource{std::nullopt, "correct horse battery"}).ok());
  auto wrong = Store::Open(DefaultFileSystem(), f.dir, KeySource{std::nullopt, "wrong horse"});
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().IsPermissionDenied());
  CHECK(f.Open()->AddPassphrase("short").IsInvalidArgument());
}

TEST_CASE("Store: a chunk swapped for another under its name is detected", "[unit]") {
  Fixture f;
  auto store = f.Open();
  ChunkId a = PutChunk(*store, "chunk A content");
  ChunkId b = PutChunk(*store, "chunk B content");
  ChunkReader reader(*store);
  REQUIRE(reader.Read(a).ok());
  fs::copy_file(store->ChunkPath(b), store->ChunkPath(a), fs::copy_options::overwrite_existing);
  auto r = reader.Read(a);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().IsCorruption());
  CHECK(r.error().message().find(a.Hex()) != std::string::npos);
}

TEST_CASE("Store: a chunk read with another store's keys is a Corruption error", "[unit]") {
  Fixture f1, f2;
  auto s1 = f1.Open();
  auto s2 = f2.Open();
  ChunkId id = PutChunk(*s1, "secret");
  fs::copy_file(s1->ChunkPath(id), f2.dir / "x");
  fs::create_directories(s2->ChunkPath(id).parent_path());
  fs::rename(f2.dir / "x", s2->ChunkPath(id));
  ChunkReader reader(*s2);
  auto r = reader.Read(id);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().IsCorruption());
}

TEST_CASE("Store: a manifest copied under another snapshot id is refused", "[unit]") {
  Fixture f;
  auto store = f.Open();
  Manifest m;
  m.snapshot_id = "0123456789abcdef";
  m.name = "web";
  m.created_unix_ns = 1;
  REQUIRE(store->WriteManifest(m, 3).ok());
  auto back = store->ReadManifest("web", "0123456789abcdef");
  REQUIRE(back.ok());
  CHECK(back->name == "web");
  fs::copy_file(store->ManifestPath("web", "0123456789abcdef"),
                store->ManifestPath("web", "fedcba9876543210"));
  auto swapped = store->ReadManifest("web", "fedcba9876543210");
  REQUIRE_FALSE(swapped.ok());
  CHECK(swapped.error().IsCorruption());
  CHECK(store->ReadManifest("../x", "0123456789abcdef").error().IsInvalidArgument());
}

}  // namespace
}  // namespace cairn
