#include "core/tree/entry_sink.h"

#include <algorithm>
#include <string>

namespace cairn {

void ContentCursor::Reset(const TreeEntry& entry) {
  regions_.clear();
  if (entry.type == EntryType::kFile) {
    if (entry.sparse.empty()) {
      if (entry.size > 0) regions_.push_back({0, entry.size});
    } else {
      for (const DataRegion& r : entry.sparse) {
        if (r.length > 0) regions_.push_back(r);
      }
    }
  }
  region_ = 0;
  in_region_ = 0;
  position_ = 0;
  length_ = entry.ContentLength();
  file_size_ = entry.type == EntryType::kFile ? entry.size : 0;
}

Status ContentCursor::Advance(std::uint64_t content_offset, ByteSpan data,
                              std::vector<Piece>& out) {
  if (content_offset != position_) {
    return Status::InvalidArgument("content written out of order: offset " +
                                   std::to_string(content_offset) + ", expected " +
                                   std::to_string(position_));
  }
  if (data.size() > length_ - position_) {
    return Status::InvalidArgument("content beyond the entry's " + std::to_string(length_) +
                                   " content bytes");
  }
  while (!data.empty()) {
    const DataRegion& r = regions_[region_];
    const std::uint64_t n = std::min<std::uint64_t>(r.length - in_region_, data.size());
    out.push_back({r.offset + in_region_, data.first(n)});
    data = data.subspan(n);
    position_ += n;
    in_region_ += n;
    if (in_region_ == r.length) {
      ++region_;
      in_region_ = 0;
    }
  }
  return Status::Ok();
}

}  // namespace cairn
