#include "core/tree/tree_entry.h"

#include <limits>
#include <nlohmann/json.hpp>

#include "core/tree/path_guard.h"

namespace cairn {

using nlohmann::json;

std::string_view EntryTypeName(EntryType type) {
  switch (type) {
    case EntryType::kFile:
      return "file";
    case EntryType::kDirectory:
      return "directory";
    case EntryType::kSymlink:
      return "symlink";
    case EntryType::kHardlink:
      return "hardlink";
    case EntryType::kCharDevice:
      return "char device";
    case EntryType::kBlockDevice:
      return "block device";
    case EntryType::kFifo:
      return "fifo";
  }
  return "unknown";
}

std::uint64_t TreeEntry::ContentLength() const {
  if (type != EntryType::kFile) return 0;
  if (sparse.empty()) return size;
  std::uint64_t total = 0;
  for (const DataRegion& r : sparse) total += r.length;
  return total;
}

std::uint64_t TreeEntry::SlicesLength() const {
  std::uint64_t total = 0;
  for (const ChunkSlice& s : content) total += s.length;
  return total;
}

namespace {

Status Bad(const TreeEntry& e, std::string what) {
  return Status::InvalidArgument("entry " + QuotePath(e.path) + ": " + std::move(what));
}

bool HasNul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

// Single-letter type codes of the JSON form, as `ls -l` shows them.
constexpr std::pair<EntryType, std::string_view> kTypeCodes[] = {
    {EntryType::kFile, "f"},     {EntryType::kDirectory, "d"},  {EntryType::kSymlink, "l"},
    {EntryType::kHardlink, "h"}, {EntryType::kCharDevice, "c"}, {EntryType::kBlockDevice, "b"},
    {EntryType::kFifo, "p"},
};

}  // namespace

Status ValidateEntryMetadata(const TreeEntry& e) {
  CAIRN_RETURN_IF_ERROR(ValidateRelativePath(e.path));
  bool known_type = false;
  for (const auto& [type, code] : kTypeCodes) known_type = known_type || type == e.type;
  if (!known_type) return Bad(e, "unknown entry type " + std::to_string(static_cast<int>(e.type)));
  if (e.mode > 07777) return Bad(e, "mode " + std::to_string(e.mode) + " has bits beyond 07777");
  if (e.uname.size() > kMaxOwnerName || e.gname.size() > kMaxOwnerName) {
    return Bad(e, "owner name longer than " + std::to_string(kMaxOwnerName) + " bytes");
  }
  if (HasNul(e.uname) || HasNul(e.gname)) return Bad(e, "owner name contains a NUL byte");

  switch (e.type) {
    case EntryType::kSymlink:
      if (e.link_target.empty()) return Bad(e, "symlink has an empty target");
      if (e.link_target.size() > kMaxLinkTarget) {
        return Bad(e, "symlink target longer than " + std::to_string(kMaxLinkTarget) + " bytes");
      }
      if (HasNul(e.link_target)) return Bad(e, "symlink target contains a NUL byte");
      break;
    case EntryType::kHardlink: {
      Status s = ValidateRelativePath(e.link_target);
      if (!s.ok()) return Bad(e, "hard link target " + s.message());
      if (e.link_target == "." || e.link_target == e.path) {
        return Bad(e, "hard link to " + QuotePath(e.link_target) + " is not allowed");
      }
      break;
    }
    default:
      if (!e.link_target.empty()) {
        return Bad(e, "a " + std::string(EntryTypeName(e.type)) + " has no link target");
      }
  }
  const bool is_device = e.type == EntryType::kCharDevice || e.type == EntryType::kBlockDevice;
  if (!is_device && (e.rdev_major != 0 || e.rdev_minor != 0)) {
    return Bad(e, "a " + std::string(EntryTypeName(e.type)) + " has no device number");
  }
  if (e.type != EntryType::kFile) {
    if (e.size != 0) return Bad(e, "a " + std::string(EntryTypeName(e.type)) + " has size 0");
    if (!e.sparse.empty() || !e.content.empty()) {
      return Bad(e, "a " + std::string(EntryTypeName(e.type)) + " has no content");
    }
  }

  if (e.xattrs.size() > kMaxXattrs) {
    return Bad(e, std::to_string(e.xattrs.size()) + " extended attributes; the limit is " +
                      std::to_string(kMaxXattrs));
  }
  for (const auto& [name, value] : e.xattrs) {
    if (name.empty() || name.size() > kMaxNameLength || HasNul(name)) {
      return Bad(e, "extended attribute name " + QuotePath(name) +
                        " is empty, too long or contains a NUL byte");
    }
    if (value.size() > kMaxXattrValue) {
      return Bad(e, "extended attribute " + QuotePath(name) + " has " +
                        std::to_string(value.size()) + " bytes; the limit is " +
                        std::to_string(kMaxXattrValue));
    }
  }

  if (e.sparse.size() > kMaxDataRegions) {
    return Bad(e, std::to_string(e.sparse.size()) + " sparse regions; the limit is " +
                      std::to_string(kMaxDataRegions));
  }
  std::uint64_t next_free = 0;  // regions must start at or after this offset
  for (std::size_t i = 0; i < e.sparse.size(); ++i) {
    const DataRegion& r = e.sparse[i];
    const std::string where = "sparse region " + std::to_string(i) + " [" +
                              std::to_string(r.offset) + ", +" + std::to_string(r.length) + ")";
    if (r.length == 0) {
      // Only the all-hole marker {size, 0}, alone, may be empty.
      if (e.sparse.size() != 1 || r.offset != e.size) {
        return Bad(e, where + " is empty (only a lone {size, 0} may be)");
      }
      continue;
    }
    if (r.offset < next_free) return Bad(e, where + " overlaps or is out of order");
    if (r.offset > e.size || r.length > e.size - r.offset) {
      return Bad(e, where + " ends beyond the size " + std::to_string(e.size));
    }
    next_free = r.offset + r.length;
  }
  return Status::Ok();
}

Status ValidateEntry(const TreeEntry& e) {
  CAIRN_RETURN_IF_ERROR(ValidateEntryMetadata(e));
  if (e.content.size() > kMaxSlices) {
    return Bad(e, std::to_string(e.content.size()) + " content slices; the limit is " +
                      std::to_string(kMaxSlices));
  }
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < e.content.size(); ++i) {
    if (e.content[i].length == 0) return Bad(e, "content slice " + std::to_string(i) + " is empty");
    total += e.content[i].length;  // <= 2^24 * 2^32: no overflow
  }
  if (total != e.ContentLength()) {
    return Bad(e, "content slices hold " + std::to_string(total) + " bytes but the entry has " +
                      std::to_string(e.ContentLength()) + " content bytes");
  }
  return Status::Ok();
}

// ---------------------------------------------------------------- base64

std::string Base64Encode(ByteSpan data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (const std::size_t rest = data.size() - i; rest > 0) {
    std::uint32_t v = data[i] << 16;
    if (rest == 2) v |= data[i + 1] << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<Bytes> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  Bytes out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const int pad = last ? (text[i + 3] == '=') + (text[i + 2] == '=') : 0;
    if (pad == 1 && text[i + 2] == '=') return std::nullopt;  // "x=y=" is not padding
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      int d = 0;
      if (k < 4 - pad) {
        d = value(text[i + k]);
        if (d < 0) return std::nullopt;
      }
      v = (v << 6) | static_cast<std::uint32_t>(d);
    }
    out.push_back(static_cast<std::uint8_t>(v >> 16));
    if (pad < 2) out.push_back(static_cast<std::uint8_t>(v >> 8));
    if (pad < 1) out.push_back(static_cast<std::uint8_t>(v));
  }
  return out;
}

// ---------------------------------------------------------------- JSON

json TreeEntryToJson(const TreeEntry& e) {
  // One encoder of the format: AppendTreeEntryJson (the manifest's hot path).
  std::string text;
  AppendTreeEntryJson(text, e);
  return json::parse(text);
}

namespace {

// Field readers: they never throw and name the field they refuse.
class Reader {
 public:
  explicit Reader(const json& j) : j_(j) {}

  Status Error(std::string_view key, std::string_view what) const {
    std::string msg = "tree entry";
    if (!path_.empty()) msg += " " + QuotePath(path_);
    msg += ": field \"";
    msg += key;
    msg += "\" ";
    msg += what;
    return Status::InvalidArgument(std::move(msg));
  }
  void set_path(std::string p) { path_ = std::move(p); }

  const json* Find(std::string_view key) const {
    auto it = j_.find(key);
    return it == j_.end() ? nullptr : &*it;
  }

  Status String(std::string_view key, std::size_t max, std::string& out, bool required = false) {
    const json* v = Find(key);
    if (v == nullptr) {
      // Raw bytes that are not UTF-8 travel base64-encoded under "<key>64".
      std::string raw_key = std::string(key) + "64";
      const json* raw = Find(raw_key);
      if (raw == nullptr) return required ? Error(key, "is missing") : Status::Ok();
      if (!raw->is_string() || raw->get_ref<const std::string&>().size() > 2 * max + 8) {
        return Error(raw_key, "is not a bounded base64 string");
      }
      auto bytes = Base64Decode(raw->get_ref<const std::string&>());
      if (!bytes || bytes->size() > max) return Error(raw_key, "is not valid base64 of at most " + std::to_string(max) + " bytes");
      out.assign(reinterpret_cast<const char*>(bytes->data()), bytes->size());
      return Status::Ok();
    }
    if (!v->is_string()) return Error(key, "is not a string");
    const auto& s = v->get_ref<const std::string&>();
    if (s.size() > max) return Error(key, "is longer than " + std::to_string(max) + " bytes");
    out = s;
    return Status::Ok();
  }

  template <typename T>
  Status Number(std::string_view key, T& out) {
    const json* v = Find(key);
    if (v == nullptr) return Status::Ok();
    return ToNumber(*v, key, out);
  }

  template <typename T>
  Status ToNumber(const json& v, std::string_view key, T& out) const {
    if (v.is_number_unsigned()) {
      const auto u = v.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) {
        return Error(key, "is out of range");
      }
      out = static_cast<T>(u);
      return Status::Ok();
    }
    if (v.is_number_integer()) {
      const auto s = v.get<std::int64_t>();
      if (s < static_cast<std::int64_t>(std::numeric_limits<T>::min())) {
        return Error(key, "is out of range");
      }
      out = static_cast<T>(s);
      return Status::Ok();
    }
    return Error(key, "is not an integer");
  }

  // An array of at most `max` elements; nullptr when absent.
  Result<const json*> Array(std::string_view key, std::size_t max) const {
    const json* v = Find(key);
    if (v == nullptr) return static_cast<const json*>(nullptr);
    if (!v->is_array()) return Error(key, "is not an array");
    if (v->size() > max) {
      return Error(key, "has " + std::to_string(v->size()) + " elements; the limit is " +
                            std::to_string(max));
    }
    return v;
  }

 private:
  const json& j_;
  std::string path_;
};

}  // namespace

Result<TreeEntry> TreeEntryFromJson(const json& j) {
  if (!j.is_object()) return Status::InvalidArgument("tree entry: not a JSON object");
  Reader r(j);
  TreeEntry e;
  CAIRN_RETURN_IF_ERROR(r.String("p", kMaxPathLength, e.path, /*required=*/true));
  r.set_path(e.path);
  std::string type;
  CAIRN_RETURN_IF_ERROR(r.String("t", 1, type, /*required=*/true));
  bool known = false;
  for (const auto& [t, code] : kTypeCodes) {
    if (code == type) {
      e.type = t;
      known = true;
    }
  }
  if (!known) return r.Error("t", "is not one of f, d, l, h, c, b, p");
  if (r.Find("m") == nullptr) return r.Error("m", "is missing");
  CAIRN_RETURN_IF_ERROR(r.Number("m", e.mode));
  CAIRN_RETURN_IF_ERROR(r.Number("u", e.uid));
  CAIRN_RETURN_IF_ERROR(r.Number("g", e.gid));
  CAIRN_RETURN_IF_ERROR(r.String("un", kMaxOwnerName, e.uname));
  CAIRN_RETURN_IF_ERROR(r.String("gn", kMaxOwnerName, e.gname));
  CAIRN_RETURN_IF_ERROR(r.Number("mt", e.mtime_ns));
  CAIRN_RETURN_IF_ERROR(r.Number("at", e.atime_ns));
  CAIRN_RETURN_IF_ERROR(r.Number("ct", e.ctime_ns));
  CAIRN_RETURN_IF_ERROR(r.Number("s", e.size));
  CAIRN_RETURN_IF_ERROR(r.Number("ino", e.inode));
  CAIRN_RETURN_IF_ERROR(r.Number("dev", e.device));
  CAIRN_RETURN_IF_ERROR(r.Number("nl", e.nlink));
  CAIRN_RETURN_IF_ERROR(r.String("lt", kMaxLinkTarget, e.link_target));
  CAIRN_RETURN_IF_ERROR(r.Number("rma", e.rdev_major));
  CAIRN_RETURN_IF_ERROR(r.Number("rmi", e.rdev_minor));

  CAIRN_ASSIGN_OR_RETURN(const json* x, r.Array("x", kMaxXattrs));
  if (x != nullptr) {
    e.xattrs.reserve(x->size());
    for (const json& item : *x) {
      const bool raw_name = item.is_array() && item.size() == 3 && item[2].is_string();
      if (!item.is_array() || (item.size() != 2 && !raw_name) || !item[0].is_string() ||
          !item[1].is_string()) {
        return r.Error("x", "has an element that is not [name, base64 value(, base64 name)]");
      }
      std::string name = item[0].get_ref<const std::string&>();
      if (raw_name) {  // a name that is not UTF-8, base64-encoded in the third place
        const auto& b64_name = item[2].get_ref<const std::string&>();
        auto decoded = b64_name.size() <= 1024 ? Base64Decode(b64_name) : std::nullopt;
        if (!decoded) return r.Error("x", "has a raw name that is not bounded base64");
        name.assign(reinterpret_cast<const char*>(decoded->data()), decoded->size());
      }
      const auto& b64 = item[1].get_ref<const std::string&>();
      if (b64.size() > (kMaxXattrValue + 2) / 3 * 4) {
        return r.Error("x", "has a value longer than " + std::to_string(kMaxXattrValue) + " bytes");
      }
      auto value = Base64Decode(b64);
      if (!value) return r.Error("x", "has a value that is not base64");
      e.xattrs.emplace_back(name, std::move(*value));
    }
  }

  CAIRN_ASSIGN_OR_RETURN(const json* sp, r.Array("sp", kMaxDataRegions));
  if (sp != nullptr) {
    e.sparse.reserve(sp->size());
    for (const json& item : *sp) {
      if (!item.is_array() || item.size() != 2) {
        return r.Error("sp", "has an element that is not [offset, length]");
      }
      DataRegion region;
      CAIRN_RETURN_IF_ERROR(r.ToNumber(item[0], "sp", region.offset));
      CAIRN_RETURN_IF_ERROR(r.ToNumber(item[1], "sp", region.length));
      e.sparse.push_back(region);
    }
  }

  CAIRN_ASSIGN_OR_RETURN(const json* c, r.Array("c", kMaxSlices));
  if (c != nullptr) {
    e.content.reserve(c->size());
    for (const json& item : *c) {
      if (!item.is_array() || item.size() != 3 || !item[0].is_string()) {
        return r.Error("c", "has an element that is not [chunk id hex, offset, length]");
      }
      ChunkSlice slice;
      auto id = ChunkId::FromHex(item[0].get_ref<const std::string&>());
      if (!id) return r.Error("c", "has a chunk id that is not 64 hex digits");
      slice.id = *id;
      CAIRN_RETURN_IF_ERROR(r.ToNumber(item[1], "c", slice.offset));
      CAIRN_RETURN_IF_ERROR(r.ToNumber(item[2], "c", slice.length));
      e.content.push_back(slice);
    }
  }

  CAIRN_RETURN_IF_ERROR(ValidateEntry(e));
  return e;
}

bool IsValidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n;
    std::uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // continuation bytes s[i+1..i+n] must exist
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // No overlong forms, no surrogates, nothing past U+10FFFF.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

namespace {

void AppendKey(std::string& out, std::string_view key) {
  out += ",\"";
  out += key;
  out += "\":";
}

template <typename T>
void AppendNumberField(std::string& out, std::string_view key, T value) {
  if (value == 0) return;
  AppendKey(out, key);
  out += std::to_string(value);
}

// A string field: plain when valid UTF-8, else base64 under "<key>64".
void AppendStringField(std::string& out, std::string_view key, const std::string& value,
                       bool skip_empty = true) {
  if (skip_empty && value.empty()) return;
  if (IsValidUtf8(value)) {
    AppendKey(out, key);
    AppendJsonString(out, value);
  } else {
    AppendKey(out, std::string(key) + "64");
    AppendJsonString(out, Base64Encode(AsBytes(value)));
  }
}

}  // namespace

void AppendTreeEntryJson(std::string& out, const TreeEntry& e) {
  out += "{\"m\":";
  out += std::to_string(e.mode);  // first, so every later field starts with ','
  AppendStringField(out, "p", e.path, /*skip_empty=*/false);
  for (const auto& [type, code] : kTypeCodes) {
    if (type == e.type) {
      AppendKey(out, "t");
      AppendJsonString(out, code);
    }
  }
  AppendNumberField(out, "u", e.uid);
  AppendNumberField(out, "g", e.gid);
  AppendStringField(out, "un", e.uname);
  AppendStringField(out, "gn", e.gname);
  AppendNumberField(out, "mt", e.mtime_ns);
  AppendNumberField(out, "at", e.atime_ns);
  AppendNumberField(out, "ct", e.ctime_ns);
  AppendNumberField(out, "s", e.size);
  AppendNumberField(out, "ino", e.inode);
  AppendNumberField(out, "dev", e.device);
  AppendNumberField(out, "nl", e.nlink);
  AppendStringField(out, "lt", e.link_target);
  AppendNumberField(out, "rma", e.rdev_major);
  AppendNumberField(out, "rmi", e.rdev_minor);
  if (!e.xattrs.empty()) {
    AppendKey(out, "x");
    out += '[';
    bool first = true;
    for (const auto& [name, value] : e.xattrs) {
      if (!first) out += ',';
      first = false;
      out += '[';
      const bool utf8 = IsValidUtf8(name);
      AppendJsonString(out, utf8 ? std::string_view(name) : std::string_view());
      out += ',';
      AppendJsonString(out, Base64Encode(value));
      if (!utf8) {
        out += ',';
        AppendJsonString(out, Base64Encode(AsBytes(name)));
      }
      out += ']';
    }
    out += ']';
  }
  if (!e.sparse.empty()) {
    AppendKey(out, "sp");
    out += '[';
    for (std::size_t i = 0; i < e.sparse.size(); ++i) {
      if (i) out += ',';
      out += '[' + std::to_string(e.sparse[i].offset) + ',' + std::to_string(e.sparse[i].length) + ']';
    }
    out += ']';
  }
  if (!e.content.empty()) {
    AppendKey(out, "c");
    out += '[';
    for (std::size_t i = 0; i < e.content.size(); ++i) {
      const ChunkSlice& c = e.content[i];
      if (i) out += ',';
      out += "[\"";
      out += c.id.Hex();
      out += "\",";
      out += std::to_string(c.offset);
      out += ',';
      out += std::to_string(c.length);
      out += ']';
    }
    out += ']';
  }
  out += '}';
}

void to_json(json& j, const TreeEntry& entry) { j = TreeEntryToJson(entry); }

void from_json(const json& j, TreeEntry& entry) {
  Result<TreeEntry> r = TreeEntryFromJson(j);
  if (!r.ok()) throw json::other_error::create(599, r.error().message(), &j);
  entry = std::move(r).value();
}

}  // namespace cairn
