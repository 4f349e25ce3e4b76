#include "agent/volumes/volume_source.h"

#include <algorithm>
#include <chrono>
#include <set>

namespace cairn::volumes {

Result<std::unique_ptr<VolumeSource>> VolumeSource::Open(std::vector<VolumeDir> volumes,
                                                         std::string description,
                                                         VolumeObserver* observer,
                                                         WalkOptions walk) {
  std::set<PvcRef> seen;
  for (const VolumeDir& v : volumes) {
    CAIRN_RETURN_IF_ERROR(ValidateNamespaceName(v.pvc.ns));
    CAIRN_RETURN_IF_ERROR(ValidateObjectName("PVC name", v.pvc.name));
    if (!seen.insert(v.pvc).second) {
      return Status::InvalidArgument("volume " + v.pvc.ToString() +
                                     " is listed twice; back each PVC up once");
    }
  }
  std::sort(volumes.begin(), volumes.end(),
            [](const VolumeDir& a, const VolumeDir& b) { return a.pvc < b.pvc; });
  return std::unique_ptr<VolumeSource>(
      new VolumeSource(std::move(volumes), std::move(description), observer, std::move(walk)));
}

VolumeSource::VolumeSource(std::vector<VolumeDir> volumes, std::string description,
                           VolumeObserver* observer, WalkOptions walk)
    : volumes_(std::move(volumes)),
      description_(std::move(description)),
      observer_(observer),
      walk_(std::move(walk)) {
  now_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
}

TreeEntry VolumeSource::SyntheticDirectory(std::string path) const {
  TreeEntry e;
  e.path = std::move(path);
  e.type = EntryType::kDirectory;
  e.mode = 0755;
  e.mtime_ns = e.atime_ns = e.ctime_ns = now_ns_;
  return e;
}

Status VolumeSource::StartVolume() {
  const std::size_t index = next_++;
  const VolumeDir& v = volumes_[index];
  if (observer_ != nullptr) CAIRN_RETURN_IF_ERROR(observer_->BeforeVolume(index));
  auto source = DirectorySource::Open(v.path, walk_);
  if (!source.ok()) {
    warnings_.push_back("volume " + v.pvc.ToString() + " skipped: " + source.error().message());
    if (observer_ != nullptr) return observer_->AfterVolume(index);
    return Status::Ok();
  }
  current_ = std::move(*source);
  current_index_ = index;
  return Status::Ok();
}

Status VolumeSource::EndVolume() {
  const std::string what = "volume " + volumes_[current_index_].pvc.ToString() + ": ";
  for (std::string& w : current_->TakeWarnings()) warnings_.push_back(what + w);
  current_.reset();
  if (observer_ != nullptr) return observer_->AfterVolume(current_index_);
  return Status::Ok();
}

Result<std::optional<TreeEntry>> VolumeSource::Next() {
  if (!root_done_) {
    root_done_ = true;
    return std::optional<TreeEntry>(SyntheticDirectory(std::string(kVolumesRoot)));
  }
  // Each pass lists one entry, skips one unfit entry, or moves one step
  // through the volume list; the walks themselves are bounded by the trees.
  for (;;) {
    if (current_) {
      CAIRN_ASSIGN_OR_RETURN(std::optional<TreeEntry> entry, current_->Next());
      if (!entry) {
        CAIRN_RETURN_IF_ERROR(EndVolume());
        continue;
      }
      current_original_path_ = entry->path;
      const PvcRef& pvc = volumes_[current_index_].pvc;
      RerootEntry(*entry, VolumePrefix(pvc));
      if (Status s = ValidateEntryMetadata(*entry); !s.ok()) {
        warnings_.push_back("volume " + pvc.ToString() + ": " + current_original_path_ +
                            " skipped: " + s.message());
        continue;
      }
      return entry;
    }
    if (next_ >= volumes_.size()) return std::optional<TreeEntry>();
    const PvcRef& pvc = volumes_[next_].pvc;
    if (pvc.ns != last_ns_) {
      last_ns_ = pvc.ns;
      return std::optional<TreeEntry>(
          SyntheticDirectory(std::string(kVolumesRoot) + "/" + pvc.ns));
    }
    CAIRN_RETURN_IF_ERROR(StartVolume());
  }
}

Result<std::unique_ptr<ContentStream>> VolumeSource::OpenContent(const TreeEntry& entry) {
  if (!current_) {
    return Status::InvalidArgument("VolumeSource::OpenContent(" + entry.path +
                                   ") called with no volume being listed");
  }
  TreeEntry original = entry;
  original.path = current_original_path_;
  return current_->OpenContent(original);
}

std::vector<std::string> VolumeSource::TakeWarnings() {
  std::vector<std::string> out;
  out.swap(warnings_);
  if (current_) {
    const std::string what = "volume " + volumes_[current_index_].pvc.ToString() + ": ";
    for (std::string& w : current_->TakeWarnings()) out.push_back(what + w);
  }
  return out;
}

}  // namespace cairn::volumes
