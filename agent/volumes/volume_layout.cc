#include "agent/volumes/volume_layout.h"

#include <algorithm>
#include <set>

namespace cairn::volumes {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

Status CheckDnsName(std::string_view what, std::string_view name, std::size_t max_len,
                    bool dots) {
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument(std::string(what) + " '" + std::string(name) + "' " +
                                   std::string(why));
  };
  if (name.empty()) return bad("is empty");
  if (name.size() > max_len) return bad("is longer than " + std::to_string(max_len) + " bytes");
  if (!IsLowerAlnum(name.front()) || !IsLowerAlnum(name.back())) {
    return bad("must start and end with a lowercase letter or digit");
  }
  for (char c : name) {
    if (!IsLowerAlnum(c) && c != '-' && !(dots && c == '.')) {
      return bad(dots ? "may hold only lowercase letters, digits, '-' and '.'"
                      : "may hold only lowercase letters, digits and '-'");
    }
  }
  return Status::Ok();
}

// The PVC a volume entry's path belongs to: "volumes/<ns>/<pvc>[/...]".
bool SplitVolumePath(std::string_view path, PvcRef* ref, std::string_view* rest) {
  std::string prefix = std::string(kVolumesRoot) + "/";
  if (path.substr(0, prefix.size()) != prefix) return false;
  path.remove_prefix(prefix.size());
  std::size_t slash = path.find('/');
  if (slash == std::string_view::npos || slash == 0) return false;
  std::string_view ns = path.substr(0, slash);
  path.remove_prefix(slash + 1);
  std::size_t end = path.find('/');
  std::string_view name = path.substr(0, end);
  if (name.empty()) return false;
  ref->ns = std::string(ns);
  ref->name = std::string(name);
  *rest = end == std::string_view::npos ? std::string_view() : path.substr(end + 1);
  return true;
}

}  // namespace

Status ValidateNamespaceName(std::string_view name) {
  return CheckDnsName("namespace", name, 63, false);
}

Status ValidateObjectName(std::string_view what, std::string_view name) {
  return CheckDnsName(what, name, 253, true);
}

Result<PvcRef> ParsePvcRef(std::string_view text) {
  std::size_t slash = text.find('/');
  if (slash == std::string_view::npos || text.find('/', slash + 1) != std::string_view::npos) {
    return Status::InvalidArgument("PVC '" + std::string(text) +
                                   "' must be written NAMESPACE/NAME, e.g. shop/data-db-0");
  }
  PvcRef ref{std::string(text.substr(0, slash)), std::string(text.substr(slash + 1))};
  Status s = ValidateNamespaceName(ref.ns);
  if (s.ok()) s = ValidateObjectName("PVC name", ref.name);
  if (!s.ok()) return s.WithContext("--pvc " + std::string(text));
  return ref;
}

std::string VolumePrefix(const PvcRef& pvc) {
  return std::string(kVolumesRoot) + "/" + pvc.ns + "/" + pvc.name;
}

void RerootEntry(TreeEntry& entry, std::string_view prefix) {
  auto move = [prefix](std::string& path) {
    path = path == "." ? std::string(prefix) : std::string(prefix) + "/" + path;
  };
  move(entry.path);
  if (entry.type == EntryType::kHardlink) move(entry.link_target);
}

std::vector<PvcRef> ListSnapshotVolumes(const Manifest& manifest) {
  std::set<PvcRef> found;
  for (const TreeEntry& e : manifest.entries) {
    PvcRef ref;
    std::string_view rest;
    if (SplitVolumePath(e.path, &ref, &rest)) found.insert(std::move(ref));
  }
  return {found.begin(), found.end()};
}

std::vector<TreeEntry> ExtractVolumeEntries(const Manifest& manifest, const PvcRef& pvc) {
  const std::string prefix = VolumePrefix(pvc);
  auto unroot = [&prefix](std::string& path) {
    path = path.size() == prefix.size() ? std::string(".") : path.substr(prefix.size() + 1);
  };
  auto inside = [&prefix](std::string_view path) {
    return path.substr(0, prefix.size()) == prefix &&
           (path.size() == prefix.size() || path[prefix.size()] == '/');
  };
  std::vector<TreeEntry> out;
  for (const TreeEntry& e : manifest.entries) {
    if (!inside(e.path)) continue;
    TreeEntry copy = e;
    unroot(copy.path);
    // A hard link always names an entry of its own volume (each volume is
    // walked on its own); anything else would be refused by the restorer.
    if (copy.type == EntryType::kHardlink && inside(copy.link_target)) unroot(copy.link_target);
    out.push_back(std::move(copy));
  }
  return out;
}

Manifest VolumeManifest(const Manifest& manifest, const PvcRef& pvc) {
  Manifest out;
  out.snapshot_id = manifest.snapshot_id;
  out.name = manifest.name;
  out.cluster = manifest.cluster;
  out.created_unix_ns = manifest.created_unix_ns;
  out.hostname = manifest.hostname;
  out.source = manifest.source;
  out.tags = manifest.tags;
  out.parent_id = manifest.parent_id;
  out.figures = manifest.figures;
  out.entries = ExtractVolumeEntries(manifest, pvc);
  return out;
}

}  // namespace cairn::volumes
