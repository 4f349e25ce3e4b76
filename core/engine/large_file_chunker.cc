#include "core/engine/large_file_chunker.h"

#include <atomic>
#include <cstring>

namespace cairn {

namespace {
// A read block holds several chunks, so the chunker rarely waits for a read.
// A block stays alive while any of its chunks is queued, so a chunker holds
// at most queue depth + workers + 1 blocks.
constexpr std::size_t kReadBlockBytes = 8u << 20;
}  // namespace

Bytes& LargeFileChunker::WritableBlock() {
  if (!block_ || block_.use_count() > 1) {
    block_ = std::make_shared<Bytes>(kReadBlockBytes);
  } else {
    // use_count() is a relaxed load; the fence pairs with the release in the
    // workers' decrement, so their reads of the block happen before our writes.
    std::atomic_thread_fence(std::memory_order_acquire);
  }
  return *block_;
}

Status LargeFileChunker::Fill(ContentStream& stream, Bytes& block, std::size_t& len, bool& eof) {
  while (len < block.size() && !eof) {
    CAIRN_ASSIGN_OR_RETURN(std::size_t n,
                           stream.Read(MutableByteSpan(block.data() + len, block.size() - len)));
    if (n == 0) eof = true;
    len += n;
    if (progress_) progress_->Add(progress_->bytes_done, n);
  }
  return Status::Ok();
}

Result<ChunkedContent> LargeFileChunker::Run(ContentStream& stream, ByteSpan prefix) {
  ChunkedContent out;
  Bytes& first = WritableBlock();
  if (!prefix.empty()) std::memcpy(first.data(), prefix.data(), prefix.size());  // < one block
  std::size_t len = prefix.size();
  bool eof = false;
  CAIRN_RETURN_IF_ERROR(Fill(stream, first, len, eof));
  std::size_t start = 0;
  while (true) {
    std::size_t avail = len - start;
    if (avail == 0 && eof) break;
    std::size_t cut = chunker_.FindCut(ByteSpan(block_->data() + start, avail), eof);
    if (cut == 0) {
      // Not enough bytes to decide: carry the tail (< max chunk size) to the
      // front of a block no queued chunk uses, and read more.
      std::shared_ptr<Bytes> old = block_;
      Bytes& fresh = WritableBlock();
      std::memmove(fresh.data(), old->data() + start, avail);
      len = avail;
      start = 0;
      CAIRN_RETURN_IF_ERROR(Fill(stream, fresh, len, eof));
      continue;
    }
    CAIRN_ASSIGN_OR_RETURN(std::size_t slot,
                           pool_.Submit(block_, ByteSpan(block_->data() + start, cut)));
    out.slices.push_back(ChunkSlice{ChunkId{}, 0, static_cast<std::uint32_t>(cut)});
    out.slots.push_back(slot);
    start += cut;
    out.total += cut;
  }
  return out;
}

}  // namespace cairn
