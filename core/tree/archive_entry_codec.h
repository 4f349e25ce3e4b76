// Conversions between TreeEntry and libarchive's archive_entry, shared by
// TreeRestorer, TarWriter and TarSource. Internal to core/tree.
//
// Thread-safety: pure functions over caller-owned objects.
#pragma once

#include <archive.h>
#include <archive_entry.h>

#include <string>

#include "core/base/c_deleter.h"
#include "core/base/status.h"
#include "core/tree/tree_entry.h"

namespace cairn {

using ArchiveHandle = CHandle<struct archive, archive_free>;
using ArchiveEntryHandle = CHandle<struct archive_entry, archive_entry_free>;

struct ArchiveEntryOptions {
  // Sparse map as archive_entry sparse entries (for the pax writer).
  bool sparse_map = false;
  bool xattrs = true;
};

// Fills `out` (fresh or cleared) from `e`, with `pathname` and, for a hard
// link, `hardlink` as the names libarchive will use (absolute for
// archive_write_disk, relative for tar). Metadata must have been validated.
void FillArchiveEntry(const TreeEntry& e, const std::string& pathname, const std::string& hardlink,
                      const ArchiveEntryOptions& options, struct archive_entry* out);

// archive_error_string or a fallback, never null.
std::string ArchiveError(struct archive* a);

// Splits nanoseconds since the epoch into (seconds, nanoseconds in [0, 1e9)).
void SplitNanos(std::int64_t ns, std::int64_t& sec, long& nsec);
// The reverse, saturating outside int64's range.
std::int64_t JoinNanos(std::int64_t sec, long nsec);

}  // namespace cairn
