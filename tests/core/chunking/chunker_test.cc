#include "core/chunking/chunker.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace cairn {
namespace {

constexpr std::size_t kMiB = 1024 * 1024;

// Deterministic pseudo-random bytes (the chunker must behave the same for any
// seed; a fixed one keeps failures reproducible).
Bytes RandomBytes(std::size_t n, std::uint64_t seed) {
  Bytes out(n);
  std::mt19937_64 rng(seed);
  for (std::size_t i = 0; i < n; i += 8) {
    std::uint64_t v = rng();
    for (std::size_t k = 0; k < 8 && i + k < n; ++k) out[i + k] = static_cast<std::uint8_t>(v >> (8 * k));
  }
  return out;
}

// Small parameters give thousands of chunks from a few MiB: enough to say
// something about the size distribution without a slow test.
ChunkerParams SmallParams() {
  ChunkerParams p;
  p.min_size = 2 * 1024;
  p.avg_size = 8 * 1024;
  p.max_size = 32 * 1024;
  return p;
}

std::vector<std::string_view> Contents(const Bytes& data, const std::vector<std::size_t>& lengths) {
  std::vector<std::string_view> out;
  std::size_t off = 0;
  for (std::size_t len : lengths) {
    out.push_back(AsChars(ByteSpan(data).subspan(off, len)));
    off += len;
  }
  REQUIRE(off == data.size());
  return out;
}

std::set<std::size_t> CutOffsets(const std::vector<std::size_t>& lengths) {
  std::set<std::size_t> cuts;
  std::size_t off = 0;
  for (std::size_t len : lengths) cuts.insert(off += len);
  return cuts;
}

struct Reuse {
  std::size_t chunks = 0;         // chunks of the edited buffer
  std::size_t reused_chunks = 0;  // ... whose content is a chunk of the original
};

// How many chunks of `edited` already exist, by content, among the chunks of
// `original`: what a deduplicating store would not have to write again.
Reuse MeasureReuse(const Chunker& chunker, const Bytes& original, const Bytes& edited) {
  std::vector<std::string_view> before = Contents(original, chunker.SplitAll(original));
  std::unordered_set<std::string_view> known(before.begin(), before.end());
  Reuse r;
  for (std::string_view c : Contents(edited, chunker.SplitAll(edited))) {
    ++r.chunks;
    if (known.count(c) != 0) ++r.reused_chunks;
  }
  return r;
}

TEST_CASE("ChunkerParams: the defaults are valid and bad combinations are refused", "[unit]") {
  CHECK(ChunkerParams{}.Validate().ok());
  CHECK(SmallParams().Validate().ok());
  auto with = [](std::uint32_t min, std::uint32_t avg, std::uint32_t max) {
    ChunkerParams p;
    p.min_size = min;
    p.avg_size = avg;
    p.max_size = max;
    return p.Validate();
  };
  CHECK(with(256 * 1024, 1 * kMiB, 8 * kMiB).ok());
  CHECK(with(64, 256, 257).ok());
  CHECK(with(256 * 1024, 1000 * 1000, 4 * kMiB).IsInvalidArgument());  // avg not a power of 2
  CHECK(with(1 * kMiB, 1 * kMiB, 4 * kMiB).IsInvalidArgument());       // min == avg
  CHECK(with(256 * 1024, 1 * kMiB, 1 * kMiB).IsInvalidArgument());     // max == avg
  CHECK(with(256 * 1024, 1 * kMiB, 8 * kMiB + 1).IsInvalidArgument()); // max too large
  CHECK(with(32, 256, 1024).IsInvalidArgument());                      // min too small
  CHECK(with(64, 128, 1024).IsInvalidArgument());                      // avg too small
  Status s = with(0, 3, 2);
  CHECK(s.IsInvalidArgument());
  CHECK(s.message().find("min=0 avg=3 max=2") != std::string::npos);
}

TEST_CASE("Chunker: gear tables come from a seed or from exactly 2048 bytes of key material",
          "[unit]") {
  CHECK(DefaultGearTableForTests() == DefaultGearTableForTests());
  CHECK(GearTableFromSeed(1) != GearTableFromSeed(2));
  const GearTable gear = DefaultGearTableForTests();
  const std::set<std::uint64_t> distinct(gear.begin(), gear.end());
  CHECK(distinct.size() == 256);

  Bytes material(2048);
  for (std::size_t i = 0; i < material.size(); ++i) material[i] = static_cast<std::uint8_t>(i * 7 + 1);
  Result<GearTable> table = GearTableFromBytes(material);
  REQUIRE(table.ok());
  CHECK((*table)[0] == GetU64(material.data()));  // little-endian, host independent
  CHECK((*table)[255] == GetU64(material.data() + 8 * 255));
  CHECK(GearTableFromBytes(ByteSpan(material).first(2047)).status().IsInvalidArgument());
  CHECK(GearTableFromBytes({}).status().IsInvalidArgument());
}

TEST_CASE("Chunker: tiny inputs become one chunk at the end and no decision before it",
          "[unit]") {
  const Chunker chunker(ChunkerParams{}, DefaultGearTableForTests());
  const std::size_t min = chunker.params().min_size;
  const Bytes data = RandomBytes(min + 1, 11);
  const ByteSpan all(data);

  CHECK(chunker.SplitAll({}).empty());
  CHECK(chunker.FindCut({}, /*at_eof=*/true) == 0);
  CHECK(chunker.FindCut({}, /*at_eof=*/false) == 0);
  for (std::size_t n : {std::size_t{1}, min - 1, min}) {
    INFO("n = " << n);
    CHECK(chunker.FindCut(all.first(n), /*at_eof=*/true) == n);
    CHECK(chunker.FindCut(all.first(n), /*at_eof=*/false) == 0);
    CHECK(chunker.SplitAll(all.first(n)) == std::vector<std::size_t>{n});
  }
}

TEST_CASE("Chunker: zero-filled input has no content cut and is cut at max size", "[unit]") {
  const Chunker chunker(ChunkerParams{}, DefaultGearTableForTests());
  const std::size_t max = chunker.params().max_size;
  const Bytes zeros(2 * max + max / 2, 0);
  CHECK(chunker.SplitAll(zeros) == std::vector<std::size_t>{max, max, max / 2});
  // Short of max_size and not at the end, there is nothing to decide yet.
  CHECK(chunker.FindCut(ByteSpan(zeros).first(max - 1), /*at_eof=*/false) == 0);
  CHECK(chunker.FindCut(ByteSpan(zeros).first(max), /*at_eof=*/false) == max);
  CHECK(chunker.FindCut(ByteSpan(zeros).first(max + 1), /*at_eof=*/false) == max);
}

TEST_CASE("Chunker: every chunk but the last is within [min, max] and sizes centre on avg",
          "[unit]") {
  const ChunkerParams params = SmallParams();
  const Chunker chunker(params, DefaultGearTableForTests());
  // Random bytes, then a long zero run (forced max cuts), then random again.
  Bytes data = RandomBytes(6 * kMiB, 21);
  std::fill(data.begin() + 3 * kMiB, data.begin() + 3 * kMiB + 200 * 1024, 0);
  data.resize(data.size() + 12345, 0xAB);  // a tail that ends mid-chunk

  const std::vector<std::size_t> lengths = chunker.SplitAll(data);
  REQUIRE(lengths.size() > 100);
  std::size_t total = 0;
  std::size_t at_max = 0;
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    total += lengths[i];
    if (i + 1 < lengths.size()) {
      INFO("chunk " << i << " of " << lengths.size());
      CHECK(lengths[i] >= params.min_size);
      CHECK(lengths[i] <= params.max_size);
    }
    if (lengths[i] == params.max_size) ++at_max;
  }
  CHECK(total == data.size());
  CHECK(lengths.back() > 0);
  CHECK(at_max >= 200 * 1024 / params.max_size - 1);  // the zero run

  // On random data alone the mean lands near avg (normalized chunking).
  const Bytes random = RandomBytes(8 * kMiB, 22);
  const std::vector<std::size_t> random_lengths = chunker.SplitAll(random);
  const double mean = static_cast<double>(random.size()) / random_lengths.size();
  CHECK(mean > 0.8 * params.avg_size);
  CHECK(mean < 1.5 * params.avg_size);
}

TEST_CASE("Chunker: the same gear table always gives the same boundaries", "[unit]") {
  const Bytes data = RandomBytes(16 * kMiB, 31);
  const Chunker a(ChunkerParams{}, DefaultGearTableForTests());
  const Chunker b(ChunkerParams{}, DefaultGearTableForTests());
  const std::vector<std::size_t> first = a.SplitAll(data);
  CHECK(first.size() > 4);
  CHECK(a.SplitAll(data) == first);
  CHECK(b.SplitAll(data) == first);
}

TEST_CASE("Chunker: different gear tables give different boundaries", "[unit]") {
  const Bytes data = RandomBytes(8 * kMiB, 41);
  const Chunker a(SmallParams(), GearTableFromSeed(1));
  const Chunker b(SmallParams(), GearTableFromSeed(2));
  const std::set<std::size_t> cuts_a = CutOffsets(a.SplitAll(data));
  const std::set<std::size_t> cuts_b = CutOffsets(b.SplitAll(data));
  std::vector<std::size_t> shared;
  std::set_intersection(cuts_a.begin(), cuts_a.end(), cuts_b.begin(), cuts_b.end(),
                        std::back_inserter(shared));
  // Only the end of the data is certain to be shared; a few coincidences are
  // allowed, a keyless chunker would share all of them.
  CHECK(shared.size() < cuts_a.size() / 20);
}

TEST_CASE("Chunker: streaming in random-size pieces gives exactly the chunks of SplitAll",
          "[unit]") {
  struct Case {
    ChunkerParams params;
    std::size_t size;
    std::size_t max_piece;
  };
  const Case cases[] = {{SmallParams(), 8 * kMiB, 80 * 1024}, {ChunkerParams{}, 64 * kMiB, 9 * kMiB}};
  for (const Case& c : cases) {
    INFO("avg_size = " << c.params.avg_size);
    const Chunker chunker(c.params, DefaultGearTableForTests());
    const Bytes data = RandomBytes(c.size, 51);
    const std::vector<std::size_t> expected = chunker.SplitAll(data);

    std::mt19937_64 rng(52);
    std::vector<std::size_t> streamed;
    Bytes pending;
    std::size_t fed = 0;
    while (fed < data.size()) {
      // Mostly large pieces, some tiny ones to exercise "need more bytes".
      std::size_t piece = rng() % 4 == 0 ? 1 + rng() % 16 : 1 + rng() % c.max_piece;
      piece = std::min(piece, data.size() - fed);
      pending.insert(pending.end(), data.begin() + fed, data.begin() + fed + piece);
      fed += piece;
      while (std::size_t cut = chunker.FindCut(pending, /*at_eof=*/false)) {
        streamed.push_back(cut);
        pending.erase(pending.begin(), pending.begin() + cut);
      }
      CHECK(pending.size() < c.params.max_size);  // 0 only when short of max
    }
    while (!pending.empty()) {
      const std::size_t cut = chunker.FindCut(pending, /*at_eof=*/true);
      REQUIRE(cut > 0);
      streamed.push_back(cut);
      pending.erase(pending.begin(), pending.begin() + cut);
    }
    CHECK(streamed == expected);
  }
}

// The property the whole subsystem exists for. 64 MiB is ~220 chunks at the
// default parameters and ~55 at avg 1 MiB; an edit may change the chunk it
// lands in and, rarely, the next one.
TEST_CASE("Chunker: an insertion or deletion changes only the chunks around the edit",
          "[unit]") {
  ChunkerParams large;
  large.min_size = 256 * 1024;
  large.avg_size = 1 * kMiB;
  large.max_size = 4 * kMiB;
  const Bytes original = RandomBytes(64 * kMiB, 61);
  const Bytes inserted_bytes = {0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02, 0x03};

  for (const ChunkerParams& params : {ChunkerParams{}, large}) {
    const Chunker chunker(params, DefaultGearTableForTests());
    struct Edit {
      const char* name;
      std::size_t offset;
      bool insert;  // else delete inserted_bytes.size() bytes
    };
    const Edit edits[] = {
        {"insert near the start", 100, true},
        {"insert just past min_size", params.min_size + 10, true},
        {"insert in the middle", 32 * kMiB + 12345, true},
        {"delete near the start", 100, false},
        {"delete in the middle", 32 * kMiB + 12345, false},
    };
    for (const Edit& e : edits) {
      INFO("avg_size " << params.avg_size << ": " << e.name);
      Bytes edited = original;
      if (e.insert) {
        edited.insert(edited.begin() + e.offset, inserted_bytes.begin(), inserted_bytes.end());
      } else {
        edited.erase(edited.begin() + e.offset, edited.begin() + e.offset + inserted_bytes.size());
      }
      const Reuse r = MeasureReuse(chunker, original, edited);
      INFO("reused " << r.reused_chunks << " of " << r.chunks << " chunks");
      CHECK(r.chunks > 40);
      CHECK(r.reused_chunks >= r.chunks * 9 / 10);
      CHECK(r.chunks - r.reused_chunks <= 2);
    }
  }

  // Control: without content-defined boundaries (fixed 1 MiB blocks) the same
  // insertion near the start would reuse nothing, so the checks above measure
  // something.
  Bytes edited = original;
  edited.insert(edited.begin() + 100, inserted_bytes.begin(), inserted_bytes.end());
  std::unordered_set<std::string_view> fixed_before;
  for (std::size_t off = 0; off < original.size(); off += kMiB) {
    fixed_before.insert(AsChars(ByteSpan(original).subspan(off, kMiB)));
  }
  std::size_t fixed_reused = 0;
  for (std::size_t off = 0; off + kMiB <= edited.size(); off += kMiB) {
    fixed_reused += fixed_before.count(AsChars(ByteSpan(edited).subspan(off, kMiB)));
  }
  CHECK(fixed_reused == 0);
}

}  // namespace
}  // namespace cairn
