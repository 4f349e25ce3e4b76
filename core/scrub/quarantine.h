// Quarantine: a damaged chunk file is moved out of chunks/ to
// <store>/quarantine/<id-hex>.<unix-seconds> rather than deleted -- it is
// evidence (which bytes flipped, which disk) and the operator's to remove --
// and so that nothing reads or deduplicates against it any more: the chunk
// is now missing, which a heal, the next upload of the same content, or a
// local backup (Catalog::AllChunkIds skips quarantined chunks) repairs.
//
// Garbage collection sweeps chunks/ only, so quarantined files stay until
// someone removes them.
//
// Thread-safety: any thread; two calls for the same chunk must not overlap.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/base/chunk_id.h"
#include "core/store/store.h"

namespace cairn {

inline constexpr std::string_view kQuarantineDir = "quarantine";

// Moves the chunk's file into the quarantine folder (created if needed) and
// makes the move durable; returns the new path, or "" when there was no
// file to move (the chunk was missing).
Result<std::string> MoveChunkToQuarantine(Store& store, const ChunkId& id,
                                          std::int64_t now_unix_ns);

}  // namespace cairn
