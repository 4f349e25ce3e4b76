#include "core/store/manifest.h"

#include <nlohmann/json.hpp>

namespace cairn {

using nlohmann::json;

namespace {

json FiguresToJson(const BackupFigures& f) {
  return json{{"files", f.files},
              {"directories", f.directories},
              {"other_entries", f.other_entries},
              {"bytes_read", f.bytes_read},
              {"bytes_logical", f.bytes_logical},
              {"bytes_new", f.bytes_new},
              {"bytes_stored", f.bytes_stored},
              {"chunks_new", f.chunks_new},
              {"chunks_referenced", f.chunks_referenced},
              {"files_unchanged", f.files_unchanged},
              {"duration_ns", f.duration_ns}};
}

BackupFigures FiguresFromJson(const json& j) {
  BackupFigures f;
  f.files = j.value("files", 0ull);
  f.directories = j.value("directories", 0ull);
  f.other_entries = j.value("other_entries", 0ull);
  f.bytes_read = j.value("bytes_read", 0ull);
  f.bytes_logical = j.value("bytes_logical", 0ull);
  f.bytes_new = j.value("bytes_new", 0ull);
  f.bytes_stored = j.value("bytes_stored", 0ull);
  f.chunks_new = j.value("chunks_new", 0ull);
  f.chunks_referenced = j.value("chunks_referenced", 0ull);
  f.files_unchanged = j.value("files_unchanged", 0ull);
  f.duration_ns = j.value("duration_ns", 0ll);
  return f;
}

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

}  // namespace

Status ValidateSnapshotName(std::string_view name) {
  if (name.empty() || name.size() > 128 || name == "." || name == ".." || name[0] == '.') {
    return Status::InvalidArgument("snapshot name '" + std::string(name) +
                                   "' is not valid: use 1-128 characters from A-Z a-z 0-9 . _ -, "
                                   "not starting with '.'");
  }
  for (char c : name) {
    if (!IsNameChar(c)) {
      return Status::InvalidArgument("snapshot name '" + std::string(name) +
                                     "' has a character outside A-Z a-z 0-9 . _ -");
    }
  }
  return Status::Ok();
}

Status ValidateSnapshotId(std::string_view id) {
  bool ok = id.size() == 16;
  for (char c : id) ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  if (!ok) {
    return Status::InvalidArgument("snapshot id '" + std::string(id) +
                                   "' is not valid: expected 16 lowercase hex digits");
  }
  return Status::Ok();
}

Bytes Manifest::Serialize() const {
  json entries_json = json::array();
  for (const TreeEntry& e : entries) entries_json.push_back(e);
  json j{{"format", "cairn-snapshot"},
         {"version", kFormatVersion},
         {"snapshot_id", snapshot_id},
         {"name", name},
         {"created_unix_ns", created_unix_ns},
         {"hostname", hostname},
         {"source", source},
         {"tags", tags},
         {"parent_id", parent_id},
         {"figures", FiguresToJson(figures)},
         {"entries", std::move(entries_json)}};
  std::string text = j.dump();
  return Bytes(text.begin(), text.end());
}

Result<Manifest> Manifest::Parse(ByteSpan bytes) {
  json j = json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Corruption("snapshot manifest is not valid JSON");
  }
  try {
    if (j.value("format", "") != "cairn-snapshot") {
      return Status::Corruption("snapshot manifest has no 'cairn-snapshot' format marker");
    }
    int version = j.at("version").get<int>();
    if (version != kFormatVersion) {
      return Status::InvalidArgument("snapshot manifest format v" + std::to_string(version) +
                                     " is not supported by this cairn (knows v" +
                                     std::to_string(kFormatVersion) + "): upgrade cairn");
    }
    Manifest m;
    m.snapshot_id = j.at("snapshot_id").get<std::string>();
    m.name = j.at("name").get<std::string>();
    CAIRN_RETURN_IF_ERROR(ValidateSnapshotId(m.snapshot_id));
    CAIRN_RETURN_IF_ERROR(ValidateSnapshotName(m.name));
    m.created_unix_ns = j.at("created_unix_ns").get<std::int64_t>();
    m.hostname = j.value("hostname", "");
    m.source = j.value("source", "");
    m.tags = j.value("tags", std::vector<std::string>{});
    m.parent_id = j.value("parent_id", "");
    if (j.contains("figures")) m.figures = FiguresFromJson(j.at("figures"));
    const json& entries = j.at("entries");
    if (!entries.is_array() || entries.size() > kMaxEntries) {
      return Status::Corruption("snapshot manifest 'entries' is not a bounded array");
    }
    m.entries.reserve(entries.size());
    for (const json& e : entries) {
      CAIRN_ASSIGN_OR_RETURN(TreeEntry entry, TreeEntryFromJson(e));
      m.entries.push_back(std::move(entry));
    }
    return m;
  } catch (const std::exception& e) {
    // from_json of TreeEntry reports validation failures by throwing; this is
    // the one place they become a Status.
    return Status::Corruption(std::string("snapshot manifest is malformed: ") + e.what());
  }
}

}  // namespace cairn
