// DirectorySource: backup entries from a directory on disk (TreeWalker),
// file content through FileContentReader. Supports the files cache: its
// entries carry inode, device and ctime.
#pragma once

#include <filesystem>
#include <memory>

#include "core/engine/entry_source.h"
#include "core/tree/tree_walker.h"

namespace cairn {

class DirectorySource final : public EntrySource {
 public:
  static Result<std::unique_ptr<DirectorySource>> Open(const std::filesystem::path& root,
                                                       WalkOptions options = {});

  Result<std::optional<TreeEntry>> Next() override { return walker_->Next(); }
  Result<std::unique_ptr<ContentStream>> OpenContent(const TreeEntry& entry) override;
  bool supports_files_cache() const override { return true; }
  std::vector<std::string> TakeWarnings() override;
  std::string description() const override { return root_.string(); }

 private:
  DirectorySource(std::filesystem::path root, std::unique_ptr<TreeWalker> walker)
      : root_(std::move(root)), walker_(std::move(walker)) {}
  std::filesystem::path root_;
  std::unique_ptr<TreeWalker> walker_;
};

}  // namespace cairn
