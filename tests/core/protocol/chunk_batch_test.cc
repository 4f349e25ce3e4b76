#include "core/protocol/chunk_batch.h"

#include <catch2/catch.hpp>

#include "core/chunking/chunker.h"
#include "core/crypto/random.h"
#include "core/protocol/dedup_params_json.h"
#include "core/protocol/snapshot_json.h"

namespace cairn {
namespace {

ChunkId IdOf(std::uint8_t b) {
  ChunkId id;
  id.bytes.fill(b);
  return id;
}

std::string TwoFrameBatch() {
  PayloadEncoder encoder(3);
  ChunkBatchWriter w;
  Bytes text(100000, 'a');
  auto e1 = encoder.Encode(text);
  REQUIRE(e1.ok());
  REQUIRE(e1->codec == ObjectCodec::kZstd);
  w.Add(IdOf(1), *e1);
  Bytes raw = {1, 2, 3};
  auto e2 = encoder.Encode(raw);
  REQUIRE(e2.ok());
  w.Add(IdOf(2), *e2);
  return w.Finish();
}

TEST_CASE("ChunkBatch: frames round-trip through the wire format", "[unit][protocol]") {
  const std::string body = TwoFrameBatch();
  auto frames = DecodeChunkBatch(AsBytes(body), {});
  REQUIRE(frames.ok());
  REQUIRE(frames->size() == 2);
  CHECK((*frames)[0].id == IdOf(1));
  CHECK((*frames)[0].codec == ObjectCodec::kZstd);
  CHECK((*frames)[0].plain_size == 100000);
  CHECK((*frames)[1].codec == ObjectCodec::kRaw);
  CHECK((*frames)[1].payload.size() == 3);
  Decompressor d;
  auto plain = DecodePayload(d, (*frames)[0].codec, (*frames)[0].plain_size, (*frames)[0].payload,
                             1 << 20);
  REQUIRE(plain.ok());
  CHECK(*plain == Bytes(100000, 'a'));
}

TEST_CASE("ChunkBatch: every truncation and malformation is refused with a reason",
          "[unit][protocol]") {
  const std::string body = TwoFrameBatch();
  // Every strict prefix is refused, never read past.
  for (std::size_t n = 0; n < body.size(); ++n) {
    auto r = DecodeChunkBatch(AsBytes(body).first(n), {});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().IsInvalidArgument());
  }
  std::string extra = body + "x";
  CHECK_FALSE(DecodeChunkBatch(AsBytes(extra), {}).ok());
  std::string bad_magic = body;
  bad_magic[0] = 'X';
  CHECK_FALSE(DecodeChunkBatch(AsBytes(bad_magic), {}).ok());
  std::string bad_codec = body;
  bad_codec[8 + 32] = 7;
  auto r = DecodeChunkBatch(AsBytes(bad_codec), {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message().find("codec") != std::string::npos);
  ChunkBatchLimits small;
  small.max_chunks = 1;
  CHECK_FALSE(DecodeChunkBatch(AsBytes(body), small).ok());
  small = {};
  small.max_plain_size = 1000;
  r = DecodeChunkBatch(AsBytes(body), small);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message().find("largest chunk") != std::string::npos);
  // A raw frame whose payload size differs from its plain size.
  std::string bad_shape = body;
  const std::size_t second = body.size() - 3 - kChunkFrameHeaderSize;
  PutU32(reinterpret_cast<std::uint8_t*>(bad_shape.data() + second + 33), 4);
  CHECK_FALSE(DecodeChunkBatch(AsBytes(bad_shape), {}).ok());
}

TEST_CASE("ChunkIds: lists round-trip and are bounded", "[unit][protocol]") {
  std::vector<ChunkId> ids = {IdOf(1), IdOf(9), IdOf(3)};
  const std::string body = EncodeChunkIds(ids);
  auto back = DecodeChunkIds(AsBytes(body), 10);
  REQUIRE(back.ok());
  CHECK(*back == ids);
  CHECK_FALSE(DecodeChunkIds(AsBytes(body), 2).ok());
  CHECK_FALSE(DecodeChunkIds(AsBytes(body).first(40), 10).ok());
}

TEST_CASE("DedupParams: JSON round trip keeps keys and table; bad input is refused",
          "[unit][protocol]") {
  DedupParams p;
  p.pack_below = 1000;
  p.zstd_level = 4;
  REQUIRE(FillRandom(p.id_key.bytes).ok());
  p.gear_table = GearTableFromSeed(42);
  auto back = DedupParamsFromJson(DedupParamsToJson(p));
  REQUIRE(back.ok());
  CHECK(back->id_key == p.id_key);
  CHECK(back->gear_table == p.gear_table);
  CHECK(back->pack_below == 1000);
  CHECK(back->zstd_level == 4);
  auto j = DedupParamsToJson(p);
  j["id_key"] = "AAAA";
  CHECK_FALSE(DedupParamsFromJson(j).ok());
  j = DedupParamsToJson(p);
  j["chunker"]["avg_size"] = 1000;  // not a power of two
  CHECK_FALSE(DedupParamsFromJson(j).ok());
  j = DedupParamsToJson(p);
  j.erase("gear_table");
  CHECK_FALSE(DedupParamsFromJson(j).ok());
}

TEST_CASE("DedupParams and SnapshotRecord: numbers must be integers in range, never cast",
          "[unit][protocol]") {
  // Found by tests/fuzz/protocol_fuzz: a min_size of 6.8e126 was cast to a
  // uint32 (undefined behaviour); 2^32 + 1000 was truncated to 1000.
  DedupParams p;
  p.pack_below = 1000;
  for (const nlohmann::json& bad : {nlohmann::json(6.8e126), nlohmann::json(65536.5),
                                    nlohmann::json(4294967296ull + 1000), nlohmann::json(-1)}) {
    INFO(bad.dump());
    auto j = DedupParamsToJson(p);
    j["pack_below"] = bad;
    CHECK_FALSE(DedupParamsFromJson(j).ok());
    j = DedupParamsToJson(p);
    j["chunker"]["min_size"] = bad;
    CHECK_FALSE(DedupParamsFromJson(j).ok());
  }
  SnapshotRecord r;
  r.id = "0011223344556677";
  r.name = "web";
  r.file_count = 3;
  REQUIRE(SnapshotRecordFromJson(SnapshotRecordToJson(r)).ok());
  for (const char* key : {"created_unix_ns", "files", "lock_until_unix_ns"}) {
    INFO(key);
    auto j = SnapshotRecordToJson(r);
    j[key] = 2.5;
    CHECK_FALSE(SnapshotRecordFromJson(j).ok());
    j[key] = 1e300;
    CHECK_FALSE(SnapshotRecordFromJson(j).ok());
  }
}

}  // namespace
}  // namespace cairn
