// TarStreamSource: backup entries from a tar stream (pax, ustar, gnu, and
// compressed forms libarchive reads), e.g. `tar -c ... | cairnctl backup
// --source -`. Paths are validated by TarSource; no files cache (a stream
// has no inodes to trust).
#pragma once

#include <memory>

#include "core/engine/entry_source.h"
#include "core/tree/tar_source.h"

namespace cairn {

class TarStreamSource final : public EntrySource {
 public:
  static Result<std::unique_ptr<TarStreamSource>> Open(int fd);

  Result<std::optional<TreeEntry>> Next() override { return tar_->Next(); }
  Result<std::unique_ptr<ContentStream>> OpenContent(const TreeEntry& entry) override;
  bool supports_files_cache() const override { return false; }
  std::vector<std::string> TakeWarnings() override;
  std::string description() const override { return "-"; }

 private:
  explicit TarStreamSource(std::unique_ptr<TarSource> tar) : tar_(std::move(tar)) {}
  std::unique_ptr<TarSource> tar_;
};

}  // namespace cairn
