// ResourceSource: a resources backup as the engine's EntrySource. It walks
// the cluster through a ResourceCollector, one type at a time, and hands the
// engine the snapshot layout (resource_layout.h):
//
//   "."  and every directory before the files in it      mode 0700
//   resources/<group>/<resource>/.../<name>.json          mode 0600 (Secrets are in there)
//   index.json                                            mode 0600, LAST
//
// index.json comes last because only then are the counts, the skipped types
// and the warnings known. Entries carry uid/gid 0 and the snapshot time as
// mtime, so an unchanged cluster gives the same tree. No files cache: object
// files have no inode or ctime to trust (supports_files_cache() is false);
// identical objects still deduplicate, chunk by chunk.
//
// A failed list makes Next() fail, and with it the backup: nothing partial
// is committed.
//
// Thread-safety: one thread (the backup's walker), like every EntrySource.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "agent/resources/resource_collector.h"
#include "core/engine/entry_source.h"

namespace cairn::kube {

struct ResourceSourceOptions {
  std::string cluster;  // the agent's Cairn cluster name, for the index
  std::chrono::system_clock::time_point taken_at = std::chrono::system_clock::now();
  CollectorOptions collector;
  // Called with the index once it is complete (just before index.json goes
  // out), so the caller can report it after the backup.
  std::function<void(const ResourceIndex&)> on_index;
  // Called with the error when reading the cluster fails (Next() fails), so
  // the caller can tell a cluster failure from an appliance one.
  std::function<void(const Status&)> on_failure;
};

// "2026-05-04T10:11:12Z" (RFC 3339, UTC, whole seconds).
std::string Rfc3339(std::chrono::system_clock::time_point t);

class ResourceSource final : public EntrySource {
 public:
  // Runs discovery (its failure fails Create). `client` and `filter` must
  // outlive the source.
  static Result<std::unique_ptr<ResourceSource>> Create(KubeClient& client,
                                                        const ResourceFilter& filter,
                                                        ResourceSourceOptions options);

  Result<std::optional<TreeEntry>> Next() override;
  Result<std::unique_ptr<ContentStream>> OpenContent(const TreeEntry& entry) override;
  bool supports_files_cache() const override { return false; }
  std::vector<std::string> TakeWarnings() override;
  // The API server URL.
  std::string description() const override { return server_; }

  // Complete once Next() has returned index.json.
  const ResourceIndex& index() const { return index_; }

 private:
  struct Pending {
    TreeEntry entry;
    std::string content;  // files only
  };
  ResourceSource(KubeClient& client, const ResourceFilter& filter, ResourceSourceOptions options);
  TreeEntry Directory(std::string path) const;
  TreeEntry File(std::string path, std::size_t size) const;
  // Queues the directories `path` needs that were not yet emitted.
  void QueueParents(const std::string& path);
  void QueueType(CollectedType type);
  void QueueIndex();

  ResourceSourceOptions options_;
  std::string server_;
  std::int64_t mtime_ns_ = 0;
  ResourceCollector collector_;
  ResourceIndex index_;
  std::deque<Pending> pending_;
  std::set<std::string> dirs_;  // emitted directories (a few per type)
  std::string content_;         // of the file Next() returned last
  bool started_ = false;
  bool collected_ = false;
  bool done_ = false;
  std::size_t warnings_taken_ = 0;
};

}  // namespace cairn::kube
