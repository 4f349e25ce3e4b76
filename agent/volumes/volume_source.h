// VolumeSource: the engine's EntrySource over the directories of several
// PVCs at once, laid out as volume_layout.h says ("volumes/<ns>/<pvc>/...").
// Each PVC's tree comes from a DirectorySource whose paths are re-rooted, so
// entries keep their inode, device and ctime and the files cache works: a
// file unchanged since the last backup of the same snapshot name is not read.
//
// Volumes are read one after the other, sorted by namespace then PVC name.
// An observer hears about each volume just before its first entry is listed
// and right after its last file has been read (the engine reads a file's
// content before asking for the next entry), which is when pre and post
// backup hooks run. An error from the observer stops the backup.
//
// A volume whose directory cannot be opened is a warning and is skipped
// (the observer still hears both calls, so a post hook follows a pre hook).
//
// Thread-safety: one thread (the backup's walker), as every EntrySource.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "agent/volumes/volume_layout.h"
#include "core/engine/directory_source.h"
#include "core/engine/entry_source.h"

namespace cairn::volumes {

struct VolumeDir {
  PvcRef pvc;
  std::filesystem::path path;  // the directory holding the PVC's files
};

class VolumeObserver {
 public:
  virtual ~VolumeObserver() = default;
  // `index` is the volume's position in VolumeSource::volumes().
  virtual Status BeforeVolume(std::size_t index) = 0;
  virtual Status AfterVolume(std::size_t index) = 0;
};

class VolumeSource final : public EntrySource {
 public:
  // InvalidArgument when a name is not a valid namespace/PVC name or a PVC
  // is listed twice. `observer` may be null; it must outlive the source.
  static Result<std::unique_ptr<VolumeSource>> Open(std::vector<VolumeDir> volumes,
                                                    std::string description,
                                                    VolumeObserver* observer = nullptr,
                                                    WalkOptions walk = {});

  Result<std::optional<TreeEntry>> Next() override;
  Result<std::unique_ptr<ContentStream>> OpenContent(const TreeEntry& entry) override;
  bool supports_files_cache() const override { return true; }
  std::vector<std::string> TakeWarnings() override;
  std::string description() const override { return description_; }

  // Sorted as they are read.
  const std::vector<VolumeDir>& volumes() const { return volumes_; }

 private:
  VolumeSource(std::vector<VolumeDir> volumes, std::string description, VolumeObserver* observer,
               WalkOptions walk);
  TreeEntry SyntheticDirectory(std::string path) const;
  // Moves on to volume next_: observer, then its DirectorySource.
  Status StartVolume();
  Status EndVolume();

  std::vector<VolumeDir> volumes_;
  std::string description_;
  VolumeObserver* observer_;
  WalkOptions walk_;
  std::int64_t now_ns_ = 0;  // times of the synthetic directories

  bool root_done_ = false;
  std::size_t next_ = 0;                     // the volume to start next
  std::unique_ptr<DirectorySource> current_;  // the volume being listed
  std::size_t current_index_ = 0;            // ... and its index
  std::string last_ns_;                      // namespace whose directory was listed
  std::string current_original_path_;        // of the last entry, under its own root
  std::vector<std::string> warnings_;
};

}  // namespace cairn::volumes
