// Shared set-up for tests of the appliance's ingest (ChunkIngest and what
// builds on it): a fresh store behind a StoreService and a ChunkIngest, a
// restart that forgets what was received, and helpers that build chunk
// batches and manifests as an agent would. Header-only (the test program
// globs *_test.cc). Not thread-safe.
#pragma once

#include <catch2/catch.hpp>

#include "appliance/daemon/chunk_ingest.h"
#include "core/crypto/chunk_hasher.h"
#include "core/crypto/payload_codec.h"
#include "tests/support/temp_dir.h"

namespace cairn::test {

struct IngestFixture {
  TempDir dir;
  std::unique_ptr<StoreService> service;
  std::unique_ptr<ChunkIngest> ingest;

  IngestFixture() {
    REQUIRE(
        Store::Init(DefaultFileSystem(), dir.path() / "store", dir.path() / "key", StoreOptions{})
            .ok());
    Reopen();
  }
  // A new appliance process: what was received but not committed is
  // forgotten, the catalog's chunks are loaded again.
  void Reopen() {
    ingest.reset();
    service.reset();
    KeySource key;
    key.key_file = dir.path() / "key";
    auto store = Store::Open(DefaultFileSystem(), dir.path() / "store", key);
    REQUIRE(store.ok());
    service = std::make_unique<StoreService>(std::move(*store));
    auto created = ChunkIngest::Create(*service, DefaultClock());
    REQUIRE(created.ok());
    ingest = std::move(*created);
  }
  Store& store() { return service->store(); }
  ChunkId IdOf(const Bytes& plain) {
    ChunkHasher h(service->store().keys().id);
    return h.Hash(plain);
  }
};

// A frame list over `body` (kept alive by the caller).
inline std::vector<ChunkFrame> Frames(const std::string& body) {
  auto frames = DecodeChunkBatch(AsBytes(body), {});
  REQUIRE(frames.ok());
  return *frames;
}

// A snapshot "vol" of one file made of `chunks` (id, length).
inline Manifest OneFileManifest(const std::vector<std::pair<ChunkId, std::uint32_t>>& chunks) {
  Manifest m;
  m.snapshot_id = "0000000000000000";
  m.name = "vol";
  TreeEntry e;
  e.path = "f";
  e.type = EntryType::kFile;
  e.mode = 0644;
  std::uint64_t size = 0;
  for (const auto& [id, len] : chunks) {
    e.content.push_back(ChunkSlice{id, 0, len});
    size += len;
  }
  e.size = size;
  m.entries.push_back(e);
  return m;
}

}  // namespace cairn::test
