// Small helpers shared by registry*.cc: time in messages, field checks and
// bounds. Internal to appliance/registry (not for other folders).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/base/utc_time.h"
#include "core/catalog/sqlite_db.h"
#include "core/catalog/sqlite_statement.h"

namespace cairn {

// Agent ids: 1..128 bytes of printable ASCII without spaces, since they
// appear in log lines (key=value) and audit actors ("agent:<id>").
bool IsValidAgentId(std::string_view id);
Status InvalidAgentIdError(std::string_view id);

// `s` cut to at most `max_bytes`, backing up to a UTF-8 character boundary
// so a cut never leaves half a character.
std::string TruncateUtf8(std::string_view s, std::size_t max_bytes);

// Column `col` of the current row, or nullopt when it is NULL.
std::optional<std::int64_t> OptionalColumnInt64(const SqliteStatement& stmt, int col);

// The id of the row of `table` (agents, replica_peers) whose id is `id` or
// whose cert_serial is `cert_serial`, if any: what registering a new
// certificate holder would clash with.
Result<std::optional<std::string>> FindIdOrSerial(SqliteDb& db, std::string_view table,
                                                  std::string_view id,
                                                  std::string_view cert_serial);

}  // namespace cairn
