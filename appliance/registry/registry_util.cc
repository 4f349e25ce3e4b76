#include "appliance/registry/registry_util.h"

#include <ctime>

namespace cairn {

bool IsValidAgentId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

Status InvalidAgentIdError(std::string_view id) {
  return Status::InvalidArgument("invalid agent id (" + std::to_string(id.size()) +
                                 " bytes): use 1 to 128 printable ASCII characters without "
                                 "spaces");
}

std::string TruncateUtf8(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  std::size_t cut = max_bytes;
  // Continuation bytes are 10xxxxxx; back up to the start of the character.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut));
}

std::optional<std::int64_t> OptionalColumnInt64(const SqliteStatement& stmt, int col) {
  if (stmt.ColumnIsNull(col)) return std::nullopt;
  return stmt.ColumnInt64(col);
}

Result<std::optional<std::string>> FindIdOrSerial(SqliteDb& db, std::string_view table,
                                                  std::string_view id,
                                                  std::string_view cert_serial) {
  CAIRN_ASSIGN_OR_RETURN(SqliteStatement clash,
                         db.Prepare("SELECT id FROM " + std::string(table) +
                                    " WHERE id = ?1 OR cert_serial = ?2"));
  Status st = clash.BindText(1, id);
  if (st.ok()) st = clash.BindText(2, cert_serial);
  CAIRN_RETURN_IF_ERROR(st);
  CAIRN_ASSIGN_OR_RETURN(bool taken, clash.Step());
  if (!taken) return std::optional<std::string>();
  return std::optional<std::string>(clash.ColumnText(0));
}

}  // namespace cairn
