// Recovery kit: the printable page (`cairnctl key export`) from which a DR
// lead can open a replica of a store when the appliance and its key file are
// gone. It carries the store id and the master key in hex, each line with a
// 4-digit check so a typo is caught on the line where it was made, plus a
// check over the whole key. Format: docs/formats.md, "Recovery kit".
//
// Thread-safety: pure functions, safe from any thread. The text holds the
// master key: never log it; wipe it (Cleanse) when done.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "core/base/bytes.h"
#include "core/base/status.h"
#include "core/crypto/secret_key.h"

namespace cairn {

inline constexpr std::size_t kMaxRecoveryKitStoreIdSize = 64;
// Parsing refuses longer text (it is typed or pasted by a person).
inline constexpr std::size_t kMaxRecoveryKitTextSize = 64 * 1024;

// The kit's text. `store_id` is 1..kMaxRecoveryKitStoreIdSize bytes
// (asserted); `store_path_hint` is printed as a hint only (control
// characters are replaced).
std::string FormatRecoveryKit(const MasterKey& master, ByteSpan store_id,
                              std::string_view store_path_hint);

// Reads a kit back, tolerant of spacing, case, dashes and the surrounding
// prose. InvalidArgument naming the line (1-based) and what is wrong with it
// when a line is malformed or fails its check, a line is missing, or the
// whole-key check fails.
Result<std::pair<MasterKey, Bytes /*store id*/>> ParseRecoveryKit(std::string_view text);

}  // namespace cairn
