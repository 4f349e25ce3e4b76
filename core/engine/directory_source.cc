#include "core/engine/directory_source.h"

#include "core/tree/file_content_reader.h"

namespace cairn {

namespace {

class FileStream final : public ContentStream {
 public:
  explicit FileStream(std::unique_ptr<FileContentReader> reader) : reader_(std::move(reader)) {}
  Result<std::size_t> Read(MutableByteSpan buf) override { return reader_->Read(buf); }
  Status Finish(TreeEntry&) override { return reader_->CheckUnchanged(); }

 private:
  std::unique_ptr<FileContentReader> reader_;
};

}  // namespace

Result<std::unique_ptr<DirectorySource>> DirectorySource::Open(const std::filesystem::path& root,
                                                               WalkOptions options) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(root, ec);
  if (ec) return Status::InvalidArgument("source " + root.string() + ": " + ec.message());
  auto walker = TreeWalker::Open(absolute, std::move(options));
  if (!walker.ok()) return walker.error().WithContext("source " + root.string());
  return std::unique_ptr<DirectorySource>(new DirectorySource(absolute, std::move(*walker)));
}

Result<std::unique_ptr<ContentStream>> DirectorySource::OpenContent(const TreeEntry& entry) {
  CAIRN_ASSIGN_OR_RETURN(auto reader, FileContentReader::Open(root_ / entry.path, entry));
  return std::unique_ptr<ContentStream>(new FileStream(std::move(reader)));
}

std::vector<std::string> DirectorySource::TakeWarnings() {
  std::vector<std::string> out;
  for (const Status& s : walker_->warnings()) out.push_back(s.message());
  return out;
}

}  // namespace cairn
