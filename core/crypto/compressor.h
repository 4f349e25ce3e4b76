// Compressor / Decompressor: zstd frames with the content size recorded, so
// the reader can refuse a frame before inflating it (decompression bombs).
// Each object reuses one ZSTD_CCtx / ZSTD_DCtx across calls.
//
// Thread-safety: thread-confined; one object per worker thread. Cheap to
// construct (the context's work buffers are allocated on first use).
#pragma once

#include <zstd.h>

#include <cstddef>

#include "core/base/bytes.h"
#include "core/base/c_deleter.h"
#include "core/base/status.h"

namespace cairn {

class Compressor {
 public:
  // `level` is a zstd level (1 = fast, 3 = zstd's default, up to 19);
  // clamped into zstd's range. Aborts only if zstd cannot allocate a context.
  explicit Compressor(int level);

  // One zstd frame holding `input`, with its content size in the header.
  Result<Bytes> Compress(ByteSpan input);
  // The same, into `out` (resized; its capacity is reused across calls).
  [[nodiscard]] Status CompressTo(ByteSpan input, Bytes& out);

  int level() const { return level_; }

 private:
  int level_;
  CHandle<ZSTD_CCtx, ZSTD_freeCCtx> cctx_;
};

class Decompressor {
 public:
  // Aborts only if zstd cannot allocate a context.
  Decompressor();

  // Inflates exactly one zstd frame. Corruption (naming why) when the frame
  // does not declare its content size, declares more than `max_output`, is
  // followed by other bytes, or does not inflate to its declared size.
  Result<Bytes> Decompress(ByteSpan frame, std::size_t max_output);
  // The same, into `out` (resized; its capacity is reused across calls).
  [[nodiscard]] Status DecompressTo(ByteSpan frame, std::size_t max_output, Bytes& out);

 private:
  CHandle<ZSTD_DCtx, ZSTD_freeDCtx> dctx_;
};

}  // namespace cairn
