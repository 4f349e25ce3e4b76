// EntrySource: where a backup's entries come from -- a directory on disk
// (DirectorySource) or a tar stream (TarStreamSource). The backup engine
// asks for entries in order and, for a regular file, reads its content
// stream before asking for the next entry.
// Thread-safety: one thread (the backup's walker).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/status.h"
#include "core/tree/tree_entry.h"

namespace cairn {

class ContentStream {
 public:
  virtual ~ContentStream() = default;
  // Fills up to buf.size() bytes of the entry's content stream (the
  // concatenation of its data regions); 0 at the end.
  virtual Result<std::size_t> Read(MutableByteSpan buf) = 0;
  // Called once the content has been read to its end: completes what only
  // reading could tell (a tar member's sparse map). A non-ok status is a
  // warning for the backup result (the file changed while it was read).
  virtual Status Finish(TreeEntry& entry) = 0;
};

class EntrySource {
 public:
  virtual ~EntrySource() = default;
  virtual Result<std::optional<TreeEntry>> Next() = 0;
  // The content of the regular file that Next() returned last.
  virtual Result<std::unique_ptr<ContentStream>> OpenContent(const TreeEntry& entry) = 0;
  // True when entries carry inode/ctime a files cache can trust (a directory
  // walk); false for streams.
  virtual bool supports_files_cache() const = 0;
  // Problems that did not stop the backup (unreadable files, vanished paths).
  virtual std::vector<std::string> TakeWarnings() = 0;
  // What the manifest records as the source ("/data" or "-").
  virtual std::string description() const = 0;
};

}  // namespace cairn
