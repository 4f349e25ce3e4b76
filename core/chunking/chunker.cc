#include "core/chunking/chunker.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <string>

namespace cairn {
namespace {

// splitmix64 (Steele, Lea, Flood): a tiny, well-mixed generator; enough to
// spread a seed over 256 words. Not a cryptographic expansion.
std::uint64_t SplitMix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// `bits` one-bits in the top of a 64-bit word. The gear hash shifts left, so
// bit k of fp depends on the last k + 1 bytes only; the top bits see the
// widest window (~64 bytes) and make the best cut test.
std::uint64_t TopBitsMask(int bits) {
  assert(bits > 0 && bits < 64);
  return ~std::uint64_t{0} << (64 - bits);
}

}  // namespace

Status ChunkerParams::Validate() const {
  auto fail = [this](const char* why) {
    return Status::InvalidArgument(
        "chunker params min=" + std::to_string(min_size) + " avg=" + std::to_string(avg_size) +
        " max=" + std::to_string(max_size) + ": " + why);
  };
  if (min_size < kMinMinSize) return fail("min_size must be at least 64 bytes");
  if (!std::has_single_bit(avg_size)) return fail("avg_size must be a power of two");
  if (avg_size < kMinAvgSize) return fail("avg_size must be at least 256 bytes");
  if (!(min_size < avg_size && avg_size < max_size)) {
    return fail("need min_size < avg_size < max_size");
  }
  if (max_size > kMaxMaxSize) return fail("max_size must be at most 8 MiB");
  return Status::Ok();
}

GearTable GearTableFromSeed(std::uint64_t seed) {
  GearTable table;
  std::uint64_t state = seed;
  for (auto& v : table) v = SplitMix64(state);
  return table;
}

GearTable DefaultGearTableForTests() { return GearTableFromSeed(0x43616972'6e436443ULL); }

Result<GearTable> GearTableFromBytes(ByteSpan material) {
  GearTable table;
  if (material.size() != sizeof(table)) {
    return Status::InvalidArgument("gear table key material must be " +
                                   std::to_string(sizeof(table)) + " bytes, got " +
                                   std::to_string(material.size()));
  }
  for (std::size_t i = 0; i < table.size(); ++i) table[i] = GetU64(material.data() + 8 * i);
  return table;
}

Chunker::Chunker(const ChunkerParams& params, const GearTable& gear)
    : params_(params), gear_(gear) {
  assert(params.Validate().ok());
  const int avg_bits = std::countr_zero(params.avg_size);
  // Normalization level 2 of the paper: 4x less likely to cut before avg_size,
  // 4x more likely after it than a single log2(avg)-bit mask would be.
  mask_small_ = TopBitsMask(avg_bits + 2);
  mask_large_ = TopBitsMask(avg_bits - 2);
}

std::size_t Chunker::FindCut(ByteSpan data, bool at_eof) const {
  const std::size_t n = data.size();
  const std::size_t min_size = params_.min_size;
  const std::size_t max_size = params_.max_size;
  if (n <= min_size) return at_eof ? n : 0;

  // Hot loop: one table load, a shift-add and one mask test per byte. Locals
  // keep the table pointer and masks in registers.
  const std::uint8_t* p = data.data();
  const std::uint64_t* gear = gear_.data();
  const std::uint64_t mask_small = mask_small_;
  const std::uint64_t mask_large = mask_large_;
  const std::size_t limit = std::min(n, max_size);
  const std::size_t normal = std::min<std::size_t>(params_.avg_size, limit);
  std::uint64_t fp = 0;
  std::size_t i = min_size;  // cut-point skipping: bytes before min are not hashed
  for (; i < normal; ++i) {
    fp = (fp << 1) + gear[p[i]];
    if ((fp & mask_small) == 0) return i + 1;
  }
  for (; i < limit; ++i) {
    fp = (fp << 1) + gear[p[i]];
    if ((fp & mask_large) == 0) return i + 1;
  }
  if (n >= max_size) return max_size;
  return at_eof ? n : 0;
}

std::vector<std::size_t> Chunker::SplitAll(ByteSpan whole) const {
  std::vector<std::size_t> lengths;
  lengths.reserve(whole.size() / params_.avg_size + 1);
  while (!whole.empty()) {
    const std::size_t cut = FindCut(whole, /*at_eof=*/true);
    assert(cut > 0 && cut <= whole.size());
    lengths.push_back(cut);
    whole = whole.subspan(cut);
  }
  return lengths;
}

}  // namespace cairn
