#include "core/store/manifest.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "core/tree/json_integer.h"

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
  f.files = JsonIntegerOr<std::uint64_t>(j, "files", 0);
  f.directories = JsonIntegerOr<std::uint64_t>(j, "directories", 0);
  f.other_entries = JsonIntegerOr<std::uint64_t>(j, "other_entries", 0);
  f.bytes_read = JsonIntegerOr<std::uint64_t>(j, "bytes_read", 0);
  f.bytes_logical = JsonIntegerOr<std::uint64_t>(j, "bytes_logical", 0);
  f.bytes_new = JsonIntegerOr<std::uint64_t>(j, "bytes_new", 0);
  f.bytes_stored = JsonIntegerOr<std::uint64_t>(j, "bytes_stored", 0);
  f.chunks_new = JsonIntegerOr<std::uint64_t>(j, "chunks_new", 0);
  f.chunks_referenced = JsonIntegerOr<std::uint64_t>(j, "chunks_referenced", 0);
  f.files_unchanged = JsonIntegerOr<std::uint64_t>(j, "files_unchanged", 0);
  f.duration_ns = JsonIntegerOr<std::int64_t>(j, "duration_ns", 0);
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

std::string Manifest::Serialize() const {
  // The header through the DOM (small), the entries streamed: a DOM of a
  // large tree's entries cost most of an unchanged backup's time. Header
  // strings that are not UTF-8 (a hostname, a source path) are repaired with
  // U+FFFD: they are informational; entry paths keep their raw bytes.
  json header{{"format", "cairn-snapshot"},
              {"version", kFormatVersion},
              {"snapshot_id", snapshot_id},
              {"name", name},
              {"cluster", cluster},
              {"created_unix_ns", created_unix_ns},
              {"hostname", hostname},
              {"source", source},
              {"tags", tags},
              {"parent_id", parent_id},
              {"lock_until_unix_ns", lock_until_unix_ns},
              {"figures", FiguresToJson(figures)}};
  std::string text = header.dump(-1, ' ', false, json::error_handler_t::replace);
  text.pop_back();  // the closing '}'
  // Reserve about what the entries take (a little more), so the text is not
  // grown by doubling: for 100k files that wasted ~30 MiB at the peak.
  std::size_t estimate = text.size() + 64;
  for (const TreeEntry& e : entries) {
    estimate += 2 * e.path.size() + e.link_target.size() + 160 + 80 * e.content.size() +
                48 * e.sparse.size();
    for (const auto& [name, value] : e.xattrs) estimate += name.size() + value.size() * 4 / 3 + 16;
  }
  text.reserve(estimate);
  text += ",\"entries\":[";
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i) text += ',';
    AppendTreeEntryJson(text, entries[i]);
  }
  text += "]}";
  return text;
}

namespace {

// Builds a JSON value from SAX events. Pointers into the tree stay valid:
// only the innermost open container ever grows.
class DomBuilder {
 public:
  bool done() const { return started_ && stack_.empty(); }
  json& root() { return root_; }
  void Key(std::string k) { key_ = std::move(k); }
  void Value(json v) { Insert(std::move(v)); }
  void Open(json container) { stack_.push_back(Insert(std::move(container))); }
  void Close() { stack_.pop_back(); }

 private:
  json* Insert(json v) {
    started_ = true;
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    json& top = *stack_.back();
    if (top.is_object()) return &(top[key_] = std::move(v));
    top.push_back(std::move(v));
    return &top.back();
  }
  json root_;
  std::vector<json*> stack_;
  std::string key_;
  bool started_ = false;
};

// Streams a manifest: the header into a small DOM, each element of the
// top-level "entries" array into a DOM of its own that becomes a TreeEntry
// at once. Memory is the entries themselves, never a DOM of all of them.
class ManifestSax {
 public:
  explicit ManifestSax(std::vector<TreeEntry>& entries) : entries_(entries) {}
  json& header() { return header_.root(); }
  Status status() const { return status_; }

  bool null() { return Value(nullptr); }
  bool boolean(bool v) { return Value(v); }
  bool number_integer(json::number_integer_t v) { return Value(v); }
  bool number_unsigned(json::number_unsigned_t v) { return Value(v); }
  bool number_float(json::number_float_t v, const std::string&) { return Value(v); }
  bool string(std::string& v) { return Value(std::move(v)); }
  bool binary(json::binary_t&) { return Fail("binary values are not allowed"); }
  bool key(std::string& k) {
    if (entry_) {
      entry_->Key(std::move(k));
    } else {
      if (depth_ == 1) top_key_ = k;
      header_.Key(std::move(k));
    }
    return true;
  }
  bool start_object(std::size_t) {
    if (in_entries_ && !entry_ && depth_ == 2) entry_.emplace();
    ++depth_;
    if (entry_) {
      entry_->Open(json::object());
    } else {
      header_.Open(json::object());
    }
    return true;
  }
  bool end_object() {
    --depth_;
    if (!entry_) {
      header_.Close();
      return true;
    }
    entry_->Close();
    if (!entry_->done()) return true;
    if (entries_.size() >= Manifest::kMaxEntries) return Fail("more entries than allowed");
    Result<TreeEntry> e = TreeEntryFromJson(entry_->root());
    entry_.reset();
    if (!e.ok()) return Fail(e.error().message());
    entries_.push_back(std::move(*e));
    return true;
  }
  bool start_array(std::size_t) {
    ++depth_;
    if (entry_) {
      entry_->Open(json::array());
    } else if (depth_ == 2 && top_key_ == "entries") {
      in_entries_ = true;
      header_.Open(json::array());  // stays empty: the entries go to entries_
    } else {
      header_.Open(json::array());
    }
    return true;
  }
  bool end_array() {
    --depth_;
    if (entry_) {
      entry_->Close();
    } else {
      if (in_entries_ && depth_ == 1) in_entries_ = false;
      header_.Close();
    }
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception&) {
    return Fail("not valid JSON (at byte " + std::to_string(position) + ")");
  }

 private:
  template <typename V>
  bool Value(V&& v) {
    if (in_entries_ && !entry_ && depth_ == 2) return Fail("an entry is not a JSON object");
    if (entry_) {
      entry_->Value(json(std::forward<V>(v)));
    } else {
      header_.Value(json(std::forward<V>(v)));
    }
    return true;
  }
  bool Fail(std::string what) {
    if (status_.ok()) status_ = Status::Corruption("snapshot manifest: " + std::move(what));
    return false;
  }

  std::vector<TreeEntry>& entries_;
  DomBuilder header_;
  std::optional<DomBuilder> entry_;
  std::string top_key_;
  int depth_ = 0;
  bool in_entries_ = false;
  Status status_;
};

}  // namespace

Result<Manifest> Manifest::Parse(ByteSpan bytes) {
  Manifest m;
  ManifestSax sax(m.entries);
  bool parsed = json::sax_parse(bytes.begin(), bytes.end(), &sax, json::input_format_t::json,
                                /*strict=*/true);
  if (!parsed || !sax.status().ok()) {
    return sax.status().ok() ? Status::Corruption("snapshot manifest is not valid JSON")
                             : sax.status();
  }
  const json& j = sax.header();
  if (!j.is_object()) return Status::Corruption("snapshot manifest is not a JSON object");
  try {
    if (j.value("format", "") != "cairn-snapshot") {
      return Status::Corruption("snapshot manifest has no 'cairn-snapshot' format marker");
    }
    int version = JsonInteger<int>(j.at("version"));
    if (version != kFormatVersion) {
      return Status::InvalidArgument("snapshot manifest format v" + std::to_string(version) +
                                     " is not supported by this cairn (knows v" +
                                     std::to_string(kFormatVersion) + "): upgrade cairn");
    }
    m.snapshot_id = j.at("snapshot_id").get<std::string>();
    m.name = j.at("name").get<std::string>();
    CAIRN_RETURN_IF_ERROR(ValidateSnapshotId(m.snapshot_id));
    CAIRN_RETURN_IF_ERROR(ValidateSnapshotName(m.name));
    m.cluster = j.value("cluster", "");
    if (!m.cluster.empty()) CAIRN_RETURN_IF_ERROR(ValidateSnapshotName(m.cluster));
    m.created_unix_ns = JsonInteger<std::int64_t>(j.at("created_unix_ns"));
    m.hostname = j.value("hostname", "");
    m.source = j.value("source", "");
    m.tags = j.value("tags", std::vector<std::string>{});
    m.parent_id = j.value("parent_id", "");
    m.lock_until_unix_ns = JsonIntegerOr<std::int64_t>(j, "lock_until_unix_ns", 0);
    if (m.lock_until_unix_ns < 0) {
      return Status::Corruption("snapshot manifest has a negative lock_until_unix_ns");
    }
    if (j.contains("figures")) m.figures = FiguresFromJson(j.at("figures"));
    if (!j.contains("entries") || !j.at("entries").is_array()) {
      return Status::Corruption("snapshot manifest has no 'entries' array");
    }
    return m;
  } catch (const std::exception& e) {
    // Wrong types in the header: nlohmann reports them by throwing; this is
    // the one place they become a Status.
    return Status::Corruption(std::string("snapshot manifest is malformed: ") + e.what());
  }
}

}  // namespace cairn
