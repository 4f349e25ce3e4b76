#include "core/crypto/compressor.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace cairn {
namespace {

[[noreturn]] void DieNoContext(const char* what) {
  std::fprintf(stderr, "fatal zstd_failure what=\"%s\"\n", what);
  std::abort();
}

// Largest window a frame may ask for: 128 MiB (zstd's default limit). Frames
// we write for chunks use far less; this bounds decoder memory on hostile input.
constexpr int kMaxWindowLog = 27;

}  // namespace

Compressor::Compressor(int level)
    : level_(std::clamp(level, ZSTD_minCLevel(), ZSTD_maxCLevel())), cctx_(ZSTD_createCCtx()) {
  if (!cctx_) DieNoContext("allocate a zstd compression context");
  if (ZSTD_isError(ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_compressionLevel, level_)) ||
      ZSTD_isError(ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_contentSizeFlag, 1))) {
    DieNoContext("set zstd compression parameters");
  }
}

Status Compressor::CompressTo(ByteSpan input, Bytes& out) {
  out.resize(ZSTD_compressBound(input.size()));
  // ZSTD_compress2 knows the input size, so it records it in the frame header.
  std::size_t n = ZSTD_compress2(cctx_.get(), out.data(), out.size(), input.data(), input.size());
  if (ZSTD_isError(n)) {
    out.clear();
    ZSTD_CCtx_reset(cctx_.get(), ZSTD_reset_session_only);
    return Status::IoError(std::string("zstd compress: ") + ZSTD_getErrorName(n));
  }
  out.resize(n);
  return Status::Ok();
}

Result<Bytes> Compressor::Compress(ByteSpan input) {
  Bytes out;
  CAIRN_RETURN_IF_ERROR(CompressTo(input, out));
  return out;
}

Decompressor::Decompressor() : dctx_(ZSTD_createDCtx()) {
  if (!dctx_) DieNoContext("allocate a zstd decompression context");
  if (ZSTD_isError(ZSTD_DCtx_setParameter(dctx_.get(), ZSTD_d_windowLogMax, kMaxWindowLog))) {
    DieNoContext("set zstd decompression parameters");
  }
}

Status Decompressor::DecompressTo(ByteSpan frame, std::size_t max_output, Bytes& out) {
  out.clear();
  unsigned long long declared = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR) {
    return Status::Corruption("zstd frame: not a valid zstd frame header");
  }
  if (declared == ZSTD_CONTENTSIZE_UNKNOWN) {
    return Status::Corruption("zstd frame: content size is not declared, refusing to inflate");
  }
  if (declared > max_output) {
    return Status::Corruption("zstd frame: declares " + std::to_string(declared) +
                              " bytes of content, more than the " + std::to_string(max_output) +
                              " allowed here");
  }
  std::size_t frame_size = ZSTD_findFrameCompressedSize(frame.data(), frame.size());
  if (ZSTD_isError(frame_size)) {
    return Status::Corruption(std::string("zstd frame: ") + ZSTD_getErrorName(frame_size));
  }
  if (frame_size != frame.size()) {
    return Status::Corruption("zstd frame: " + std::to_string(frame.size() - frame_size) +
                              " unexpected bytes after the frame");
  }
  out.resize(static_cast<std::size_t>(declared));
  std::size_t n =
      ZSTD_decompressDCtx(dctx_.get(), out.data(), out.size(), frame.data(), frame.size());
  if (ZSTD_isError(n)) {
    out.clear();
    ZSTD_DCtx_reset(dctx_.get(), ZSTD_reset_session_only);
    return Status::Corruption(std::string("zstd frame: ") + ZSTD_getErrorName(n));
  }
  if (n != declared) {
    out.clear();
    return Status::Corruption("zstd frame: inflated to " + std::to_string(n) +
                              " bytes, but declares " + std::to_string(declared));
  }
  return Status::Ok();
}

Result<Bytes> Decompressor::Decompress(ByteSpan frame, std::size_t max_output) {
  Bytes out;
  CAIRN_RETURN_IF_ERROR(DecompressTo(frame, max_output, out));
  return out;
}

}  // namespace cairn
