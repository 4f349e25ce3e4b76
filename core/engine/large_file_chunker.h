// LargeFileChunker: reads one file's content stream to its end and cuts it
// into content-defined chunks, submitted to the ChunkWriterPool as slices of
// its own read blocks (no copies). Used by the backup walker inline (tar
// streams, whose members must be read in order) and on chunker threads
// (directory sources), so several large files are read and cut at once.
// Thread-safety: one object per thread; the pool is shared.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/chunking/chunker.h"
#include "core/engine/chunk_writer_pool.h"
#include "core/engine/entry_source.h"
#include "core/engine/progress.h"

namespace cairn {

// What reading one file produced: its slices (ids still unknown), the pool
// slot of each, and the bytes read.
struct ChunkedContent {
  std::vector<ChunkSlice> slices;
  std::vector<std::size_t> slots;  // slots[i] belongs to slices[i]
  std::uint64_t total = 0;
};

class LargeFileChunker {
 public:
  LargeFileChunker(const Chunker& chunker, ChunkWriterPool& pool, JobProgress* progress)
      : chunker_(chunker), pool_(pool), progress_(progress) {}

  // Reads `stream` to its end; `prefix` holds bytes already read from it.
  Result<ChunkedContent> Run(ContentStream& stream, ByteSpan prefix);

 private:
  Bytes& WritableBlock();
  Status Fill(ContentStream& stream, Bytes& block, std::size_t& len, bool& eof);

  const Chunker& chunker_;
  ChunkWriterPool& pool_;
  JobProgress* progress_;
  std::shared_ptr<Bytes> block_;  // the read block in use
};

}  // namespace cairn
