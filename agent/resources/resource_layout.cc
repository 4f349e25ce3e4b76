#include "agent/resources/resource_layout.h"

#include <utility>

namespace cairn::kube {
namespace {

constexpr std::size_t kMaxSegment = 253;  // DNS subdomain names, the longest Kubernetes name
constexpr std::string_view kCoreGroupDir = "core";
constexpr std::string_view kObjectSuffix = ".json";
// Bounds on an index read back from a snapshot (it is untrusted input).
constexpr std::size_t kMaxIndexEntries = 1'000'000;
constexpr std::size_t kMaxIndexString = 64 * 1024;

Status CheckSegment(std::string_view what, std::string_view s) {
  if (s.empty() || s == "." || s == ".." || s.size() > kMaxSegment ||
      s.find('/') != std::string_view::npos || s.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("resource layout: " + std::string(what) + " \"" +
                                   std::string(s.substr(0, 64)) +
                                   "\" cannot be a path segment (empty, \".\", \"..\", '/', NUL "
                                   "or over 253 bytes)");
  }
  return Status::Ok();
}

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = path.find('/', start);
    parts.push_back(path.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

// Typed field readers for FromJson: never throw, name the field.
Status ReadString(const nlohmann::json& j, const char* key, std::string& out, bool required) {
  auto it = j.find(key);
  if (it == j.end()) {
    if (!required) return Status::Ok();
    return Status::InvalidArgument(std::string("resources index: missing \"") + key + "\"");
  }
  if (!it->is_string() || it->get_ref<const std::string&>().size() > kMaxIndexString) {
    return Status::InvalidArgument(std::string("resources index: \"") + key +
                                   "\" is not a string (of at most 64 KiB)");
  }
  out = it->get<std::string>();
  return Status::Ok();
}

Status ReadCount(const nlohmann::json& j, const char* key, std::uint64_t& out) {
  auto it = j.find(key);
  if (it == j.end()) return Status::Ok();
  if (!it->is_number_unsigned()) {
    return Status::InvalidArgument(std::string("resources index: \"") + key +
                                   "\" is not a non-negative integer");
  }
  out = it->get<std::uint64_t>();
  return Status::Ok();
}

Result<const nlohmann::json*> ReadArray(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  auto it = j.find(key);
  if (it == j.end()) return &kEmpty;
  if (!it->is_array() || it->size() > kMaxIndexEntries) {
    return Status::InvalidArgument(std::string("resources index: \"") + key +
                                   "\" is not an array (of at most a million entries)");
  }
  return &*it;
}

}  // namespace

Result<std::string> ObjectFilePath(const ObjectFile& object) {
  const std::string_view group = object.group.empty() ? kCoreGroupDir : object.group;
  CAIRN_RETURN_IF_ERROR(CheckSegment("group", group));
  CAIRN_RETURN_IF_ERROR(CheckSegment("resource", object.resource));
  CAIRN_RETURN_IF_ERROR(CheckSegment("name", object.name));
  std::string path(kResourcesDir);
  path.append("/").append(group).append("/").append(object.resource);
  if (object.ns.empty()) {
    path.append("/cluster/");
  } else {
    CAIRN_RETURN_IF_ERROR(CheckSegment("namespace", object.ns));
    path.append("/namespaces/").append(object.ns).append("/");
  }
  path.append(object.name).append(kObjectSuffix);
  return path;
}

Result<ObjectFile> ParseObjectFilePath(std::string_view path) {
  auto refuse = [&](std::string_view why) {
    return Status::InvalidArgument("\"" + std::string(path.substr(0, 300)) +
                                   "\" is not a resource object file path (" + std::string(why) +
                                   "; expected resources/<group>/<resource>/namespaces/<ns>/"
                                   "<name>.json or resources/<group>/<resource>/cluster/<name>.json)");
  };
  std::vector<std::string_view> parts = Split(path);
  if (parts.size() != 5 && parts.size() != 6) return refuse("wrong number of segments");
  if (parts[0] != kResourcesDir) return refuse("not under resources/");
  ObjectFile out;
  std::string_view file;
  if (parts.size() == 5) {
    if (parts[3] != "cluster") return refuse("expected \"cluster\"");
    file = parts[4];
  } else {
    if (parts[3] != "namespaces") return refuse("expected \"namespaces\"");
    if (!CheckSegment("namespace", parts[4]).ok()) return refuse("bad namespace");
    out.ns = std::string(parts[4]);
    file = parts[5];
  }
  if (file.size() <= kObjectSuffix.size() || !file.ends_with(kObjectSuffix)) {
    return refuse("the file name does not end in .json");
  }
  std::string_view name = file.substr(0, file.size() - kObjectSuffix.size());
  if (!CheckSegment("group", parts[1]).ok() || !CheckSegment("resource", parts[2]).ok() ||
      !CheckSegment("name", name).ok()) {
    return refuse("bad segment");
  }
  out.group = parts[1] == kCoreGroupDir ? std::string() : std::string(parts[1]);
  out.resource = std::string(parts[2]);
  out.name = std::string(name);
  return out;
}

nlohmann::json ResourceIndex::ToJson() const {
  nlohmann::json j;
  j["format"] = kResourcesFormat;
  j["version"] = kResourcesFormatVersion;
  j["cluster"] = cluster;
  j["server"] = server;
  j["taken_at"] = taken_at;
  j["filters"] = filters.is_null() ? nlohmann::json::object() : filters;
  j["objects"] = objects;
  nlohmann::json rs = nlohmann::json::array();
  for (const IndexedResource& r : resources) {
    rs.push_back({{"group", r.group},
                  {"version", r.version},
                  {"resource", r.resource},
                  {"kind", r.kind},
                  {"namespaced", r.namespaced},
                  {"objects", r.objects},
                  {"bytes", r.bytes}});
  }
  j["resources"] = std::move(rs);
  nlohmann::json sk = nlohmann::json::array();
  for (const SkippedResource& s : skipped) {
    sk.push_back({{"group", s.group},
                  {"version", s.version},
                  {"resource", s.resource},
                  {"reason", s.reason}});
  }
  j["skipped"] = std::move(sk);
  j["warnings"] = warnings;
  return j;
}

Result<ResourceIndex> ResourceIndex::FromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Status::InvalidArgument("resources index: not a JSON object");
  std::string format;
  CAIRN_RETURN_IF_ERROR(ReadString(j, "format", format, true));
  if (format != kResourcesFormat) {
    return Status::InvalidArgument("resources index: format \"" + format + "\", expected \"" +
                                   std::string(kResourcesFormat) + "\"");
  }
  auto version = j.find("version");
  if (version == j.end() || !version->is_number_integer()) {
    return Status::InvalidArgument("resources index: missing or non-integer \"version\"");
  }
  if (version->get<std::int64_t>() != kResourcesFormatVersion) {
    return Status::InvalidArgument("resources index: version " + version->dump() +
                                   " is not supported (this agent reads version " +
                                   std::to_string(kResourcesFormatVersion) +
                                   "); use a newer cairn-agent");
  }
  ResourceIndex out;
  CAIRN_RETURN_IF_ERROR(ReadString(j, "cluster", out.cluster, false));
  CAIRN_RETURN_IF_ERROR(ReadString(j, "server", out.server, false));
  CAIRN_RETURN_IF_ERROR(ReadString(j, "taken_at", out.taken_at, false));
  CAIRN_RETURN_IF_ERROR(ReadCount(j, "objects", out.objects));
  if (auto f = j.find("filters"); f != j.end()) {
    if (!f->is_object()) return Status::InvalidArgument("resources index: \"filters\" is not an object");
    out.filters = *f;
  } else {
    out.filters = nlohmann::json::object();
  }
  CAIRN_ASSIGN_OR_RETURN(const nlohmann::json* rs, ReadArray(j, "resources"));
  for (const nlohmann::json& e : *rs) {
    if (!e.is_object()) return Status::InvalidArgument("resources index: a resources entry is not an object");
    IndexedResource r;
    CAIRN_RETURN_IF_ERROR(ReadString(e, "group", r.group, false));
    CAIRN_RETURN_IF_ERROR(ReadString(e, "version", r.version, true));
    CAIRN_RETURN_IF_ERROR(ReadString(e, "resource", r.resource, true));
    CAIRN_RETURN_IF_ERROR(ReadString(e, "kind", r.kind, false));
    if (auto n = e.find("namespaced"); n != e.end()) {
      if (!n->is_boolean()) return Status::InvalidArgument("resources index: \"namespaced\" is not a boolean");
      r.namespaced = n->get<bool>();
    }
    CAIRN_RETURN_IF_ERROR(ReadCount(e, "objects", r.objects));
    CAIRN_RETURN_IF_ERROR(ReadCount(e, "bytes", r.bytes));
    out.resources.push_back(std::move(r));
  }
  CAIRN_ASSIGN_OR_RETURN(const nlohmann::json* sk, ReadArray(j, "skipped"));
  for (const nlohmann::json& e : *sk) {
    if (!e.is_object()) return Status::InvalidArgument("resources index: a skipped entry is not an object");
    SkippedResource s;
    CAIRN_RETURN_IF_ERROR(ReadString(e, "group", s.group, false));
    CAIRN_RETURN_IF_ERROR(ReadString(e, "version", s.version, false));
    CAIRN_RETURN_IF_ERROR(ReadString(e, "resource", s.resource, true));
    CAIRN_RETURN_IF_ERROR(ReadString(e, "reason", s.reason, false));
    out.skipped.push_back(std::move(s));
  }
  CAIRN_ASSIGN_OR_RETURN(const nlohmann::json* ws, ReadArray(j, "warnings"));
  for (const nlohmann::json& w : *ws) {
    if (!w.is_string()) return Status::InvalidArgument("resources index: a warning is not a string");
    out.warnings.push_back(w.get<std::string>());
  }
  return out;
}

}  // namespace cairn::kube
