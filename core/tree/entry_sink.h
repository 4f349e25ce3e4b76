// EntrySink: where a restore sends entries, one at a time -- a directory on
// disk (TreeRestorer) or a pax tar stream (TarWriter). The engine drives it:
//
//   for each entry:  if (sink.Begin(e).ok()) { sink.Write(...)...; sink.End(); }
//   sink.Finish();
//
// Write() takes the entry's content stream (the concatenation of its data
// regions, see TreeEntry) strictly in order: each call's content_offset is
// the number of content bytes written so far for this entry. A failed
// Begin() means the entry is skipped: do not Write/End it, go on with the
// next Begin(). Problems that do not lose the entry (an owner or xattr that
// could not be set) are collected in warnings().
//
// Thread-safety: a sink belongs to one thread at a time.
#pragma once

#include <memory>

#include <cstdint>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/status.h"
#include "core/tree/tree_entry.h"

namespace cairn {

class EntrySink {
 public:
  virtual ~EntrySink() = default;
  // Starts an entry (metadata validated with ValidateEntryMetadata; content
  // slices are ignored). Non-ok: the entry was not written.
  virtual Status Begin(const TreeEntry& entry) = 0;
  // Content bytes [content_offset, content_offset + data.size()).
  virtual Status Write(std::uint64_t content_offset, ByteSpan data) = 0;
  // The same, with the buffer's owner: a sink that writes in the background
  // keeps `owner` alive rather than copying `data` (which lies inside it).
  virtual Status WriteShared(std::uint64_t content_offset, ByteSpan data,
                             std::shared_ptr<const Bytes> owner) {
    (void)owner;
    return Write(content_offset, data);
  }
  // Completes the entry. If fewer than ContentLength() bytes were written the
  // entry is closed anyway (the rest is zeros/hole) and the result says so.
  virtual Status End() = 0;
  // Completes the restore (directory modes and times, tar end blocks). No
  // call may follow.
  virtual Status Finish() = 0;
  // Per-entry problems that did not stop the entry, each naming its path.
  // Entries whose failure surfaced only after End() returned (a sink that
  // writes in the background): (path, what happened). Complete after Finish().
  virtual std::vector<std::pair<std::string, Status>> TakeFailedEntries() { return {}; }
  virtual const std::vector<Status>& warnings() const = 0;
};

// ContentCursor: maps one entry's content offsets onto file offsets through
// its data regions, and checks the EntrySink ordering contract. Shared by the
// sinks; usable by anyone who lays content out into a file.
class ContentCursor {
 public:
  struct Piece {
    std::uint64_t file_offset;
    ByteSpan data;
  };

  void Reset(const TreeEntry& entry);
  // Splits `data` (at `content_offset`) into file-offset pieces appended to
  // `out`. InvalidArgument when out of order or beyond ContentLength().
  Status Advance(std::uint64_t content_offset, ByteSpan data, std::vector<Piece>& out);

  std::uint64_t position() const { return position_; }  // content bytes so far
  std::uint64_t length() const { return length_; }      // ContentLength()
  std::uint64_t file_size() const { return file_size_; }

 private:
  std::vector<DataRegion> regions_;  // non-empty regions; [0, size) when not sparse
  std::size_t region_ = 0;
  std::uint64_t in_region_ = 0;
  std::uint64_t position_ = 0;
  std::uint64_t length_ = 0;
  std::uint64_t file_size_ = 0;
};

}  // namespace cairn
