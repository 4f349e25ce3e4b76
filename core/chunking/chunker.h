// Chunker: content-defined chunking (FastCDC-style) of a backup byte stream.
//
// Why content-defined: a backup of a file that changed by a few inserted bytes
// must reuse almost all chunks of the previous backup. Fixed-size blocks would
// shift every boundary after the edit; a boundary chosen by the content of the
// last few dozen bytes moves with the content, so only the chunks around the
// edit change.
//
// The algorithm follows the ideas of Xia et al., "FastCDC" (USENIX ATC'16):
//  - a gear rolling hash, fp = (fp << 1) + gear[byte], whose top bits depend
//    only on the last ~64 bytes, tested against a mask whose one-bits sit in
//    the top of the word (so every tested bit covers a wide window);
//  - cut-point skipping: the first min_size bytes of a chunk are not hashed;
//  - normalized chunking: a stricter mask (more one-bits) before avg_size and a
//    looser one after it, which pulls chunk sizes towards avg_size.
//
// The gear table is an input. The store derives it from its secret key so that
// chunk boundaries (and therefore chunk sizes seen by a storage provider) do not
// follow from the plaintext alone. DefaultGearTableForTests() is a fixed,
// public table for tests and benchmarks only; never use it for a real store.
//
// Thread-safety: a Chunker is immutable after construction; FindCut() and
// SplitAll() are const pure functions of their arguments, so one Chunker may be
// shared by any number of threads without locking.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/status.h"

namespace cairn {

struct ChunkerParams {
  static constexpr std::uint32_t kKiB = 1024;
  static constexpr std::uint32_t kMiB = 1024 * 1024;
  // Largest max_size accepted: bounds per-chunk memory in the backup pipeline
  // (a queue of N chunks holds at most N * 8 MiB).
  static constexpr std::uint32_t kMaxMaxSize = 8 * kMiB;
  // Smallest min_size accepted: the gear hash needs ~64 bytes to fill its
  // window, and tiny chunks make per-chunk overhead dominate.
  static constexpr std::uint32_t kMinMinSize = 64;
  // Smallest avg_size accepted: the loose mask has log2(avg) - 2 bits.
  static constexpr std::uint32_t kMinAvgSize = 256;

  // Defaults chosen by bench/chunk_params.cc, see docs/performance-chunking.md:
  // on a daily incremental, 256 KiB stores ~40% fewer new bytes than 1 MiB for
  // ~20% more new chunks. Changing them changes every chunk boundary, i.e. the
  // next backup of existing data deduplicates against nothing.
  std::uint32_t min_size = 64 * kKiB;   // no content cut before this
  std::uint32_t avg_size = 256 * kKiB;  // a power of two; the normalization point
  std::uint32_t max_size = 1 * kMiB;    // forced cut here

  // Ok iff kMinMinSize <= min_size < avg_size < max_size <= kMaxMaxSize,
  // avg_size is a power of two and avg_size >= kMinAvgSize.
  [[nodiscard]] Status Validate() const;
};

// 256 pseudo-random 64-bit values, one per byte value.
using GearTable = std::array<std::uint64_t, 256>;

// A fixed public table (splitmix64 from a constant seed) for tests and
// benchmarks. Boundaries computed with it are predictable by anyone.
GearTable DefaultGearTableForTests();

// A table expanded from a 64-bit seed with splitmix64; for tests that need
// several distinct tables.
GearTable GearTableFromSeed(std::uint64_t seed);

// A table from exactly sizeof(GearTable) = 2048 bytes of key material (e.g.
// HKDF output under the store key), read as 256 little-endian uint64 values so
// the boundaries do not depend on the host's byte order. InvalidArgument on any
// other length.
Result<GearTable> GearTableFromBytes(ByteSpan material);

class Chunker {
 public:
  // Precondition: params.Validate().ok() (asserted). Configuration is validated
  // once where it is parsed; a Chunker is never built from unchecked input.
  Chunker(const ChunkerParams& params, const GearTable& gear);

  // Given the pending (not yet chunked) bytes of a stream, starting at a chunk
  // boundary, returns the length of the next chunk:
  //  - the first content-defined cut, a length in [min_size, max_size];
  //  - else max_size, if data.size() >= max_size;
  //  - else data.size(), if at_eof (the stream's last chunk, possibly shorter
  //    than min_size; 0 for an empty stream);
  //  - else 0: no decision is possible yet, call again with more bytes.
  // The result for a given prefix never changes when more bytes are appended
  // (a cut found in a prefix is found again), which is what makes streaming
  // give exactly the chunks of SplitAll(). A 0 result means the caller rescans
  // the same bytes next time: supply at least max_size bytes when the stream
  // has them.
  std::size_t FindCut(ByteSpan data, bool at_eof) const;

  // The lengths of all chunks of `whole` in order (they sum to whole.size();
  // empty input gives no chunks). For tests and tools that hold a whole file.
  std::vector<std::size_t> SplitAll(ByteSpan whole) const;

  const ChunkerParams& params() const { return params_; }

 private:
  ChunkerParams params_;
  GearTable gear_;
  // One-bits in the top of the word: mask_small_ (log2(avg) + 2 bits, cuts
  // rarely) before avg_size, mask_large_ (log2(avg) - 2 bits) after it.
  std::uint64_t mask_small_;
  std::uint64_t mask_large_;
};

}  // namespace cairn
