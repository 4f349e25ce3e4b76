#include "core/engine/tar_stream_source.h"

namespace cairn {

namespace {

// Reads the current tar entry's data; valid until the next Next().
class TarEntryStream final : public ContentStream {
 public:
  explicit TarEntryStream(TarSource& tar) : tar_(tar) {}
  Result<std::size_t> Read(MutableByteSpan buf) override { return tar_.ReadData(buf); }
  // A sparse member's regions are known only once its data has gone by.
  Status Finish(TreeEntry& entry) override {
    if (!tar_.sparse().empty()) entry.sparse = tar_.sparse();
    return Status::Ok();
  }

 private:
  TarSource& tar_;
};

}  // namespace

Result<std::unique_ptr<TarStreamSource>> TarStreamSource::Open(int fd) {
  CAIRN_ASSIGN_OR_RETURN(auto tar, TarSource::Open(fd));
  return std::unique_ptr<TarStreamSource>(new TarStreamSource(std::move(tar)));
}

Result<std::unique_ptr<ContentStream>> TarStreamSource::OpenContent(const TreeEntry&) {
  return std::unique_ptr<ContentStream>(new TarEntryStream(*tar_));
}

std::vector<std::string> TarStreamSource::TakeWarnings() {
  std::vector<std::string> out;
  for (const Status& s : tar_->warnings()) out.push_back(s.message());
  return out;
}

}  // namespace cairn
