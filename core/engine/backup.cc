#include "core/engine/backup.h"

#include <atomic>
#include <cstring>
#include <memory>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "core/base/host_name.h"
#include "core/chunking/chunker.h"
#include "core/crypto/chunk_hasher.h"
#include "core/crypto/random.h"
#include "core/engine/chunk_writer_pool.h"
#include "core/engine/local_backup_target.h"
#include "core/engine/large_file_chunker.h"
#include "core/base/bounded_queue.h"

namespace cairn {

namespace {

// Large files of a directory are read and cut on this many threads besides
// the walker, so the changed files of an incremental are not read one at a
// time (the walker alone bounded it at ~1.4 of 2 cores).
constexpr int kChunkerThreads = 2;

// Trims sparse data regions so they cover exactly `length` content bytes
// (the file shrank while it was read).
void TrimRegions(std::vector<DataRegion>& regions, std::uint64_t length) {
  std::uint64_t left = length;
  std::vector<DataRegion> out;
  for (DataRegion r : regions) {
    if (left == 0) break;
    r.length = std::min(r.length, left);
    left -= r.length;
    out.push_back(r);
  }
  regions = std::move(out);
}

// The walker: everything that runs on the calling thread.
class BackupWalker {
 public:
  BackupWalker(const DedupParams& dedup, EntrySource& source, ChunkWriterPool& pool,
               JobProgress* progress, const Manifest* parent)
      : dedup_(dedup),
        source_(source),
        pool_(pool),
        progress_(progress),
        chunker_(dedup.chunker, dedup.gear_table),
        small_hasher_(dedup.id_key),
        inline_chunker_(chunker_, pool, progress),
        job_queue_(2) {
    if (source.supports_files_cache()) {
      chunker_threads_ = true;
      for (int i = 0; i < kChunkerThreads; ++i) {
        chunker_threads_storage_.emplace_back([this] { ChunkerLoop(); });
      }
    }
    if (parent != nullptr) {
      for (const TreeEntry& e : parent->entries) {
        if (e.type == EntryType::kFile) files_cache_.emplace(e.path, &e);
      }
    }
  }

  ~BackupWalker() {
    job_queue_.Close();
    for (auto& t : chunker_threads_storage_) t.join();
  }
  BackupWalker(const BackupWalker&) = delete;
  BackupWalker& operator=(const BackupWalker&) = delete;

  Status Walk(BackupFigures& figures) {
    while (true) {
      CAIRN_ASSIGN_OR_RETURN(std::optional<TreeEntry> next, source_.Next());
      if (!next) break;
      entries_.push_back(std::move(*next));
      std::size_t index = entries_.size() - 1;
      TreeEntry& e = entries_[index];
      if (progress_) progress_->Add(progress_->entries, 1);
      switch (e.type) {
        case EntryType::kFile:
          ++figures.files;
          CAIRN_RETURN_IF_ERROR(AddFile(index, figures));
          figures.bytes_logical += entries_[index].ContentLength();
          break;
        case EntryType::kDirectory:
          ++figures.directories;
          break;
        default:
          ++figures.other_entries;
          break;
      }
    }
    CAIRN_RETURN_IF_ERROR(FlushPack());
    return Status::Ok();
  }

  // Files that changed while they were read, and the like.
  std::vector<std::string> TakeWarnings() { return std::move(warnings_); }

  // After the pool has finished: fill in every chunk id.
  std::vector<TreeEntry> TakeEntries() {
    for (const PendingSlice& p : pending_) {
      entries_[p.entry].content[p.slice].id = pool_.id(p.slot);
    }
    for (const auto& [copy, original] : copies_) {
      entries_[copy].content = entries_[original].content;
    }
    return std::move(entries_);
  }

 private:
  struct PendingSlice {
    std::size_t entry, slice, slot;
  };

  bool CacheHit(const TreeEntry& e, const TreeEntry** hit) const {
    auto it = files_cache_.find(e.path);
    if (it == files_cache_.end()) return false;
    const TreeEntry& p = *it->second;
    if (p.size != e.size || p.mtime_ns != e.mtime_ns || p.ctime_ns != e.ctime_ns ||
        p.inode != e.inode || p.device != e.device) {
      return false;
    }
    *hit = &p;
    return true;
  }

  Status AddFile(std::size_t index, BackupFigures& figures) {
    TreeEntry& e = entries_[index];
    const TreeEntry* cached = nullptr;
    if (source_.supports_files_cache() && CacheHit(e, &cached)) {
      e.content = cached->content;
      e.sparse = cached->sparse;
      ++figures.files_unchanged;
      if (progress_) progress_->Add(progress_->bytes_done, e.ContentLength());
      return Status::Ok();
    }
    CAIRN_ASSIGN_OR_RETURN(auto stream, source_.OpenContent(e));
    const std::uint32_t pack_below = dedup_.pack_below;
    // Large files of a directory go to the chunker threads; the walk goes on.
    // (A tar member must be read before the next one, so it is read here.)
    if (chunker_threads_ && e.ContentLength() >= pack_below) {
      auto job = std::make_shared<FileJob>();
      job->entry = index;
      job->stream = std::move(stream);
      job->meta = e;
      jobs_.push_back(job);
      (void)job_queue_.Push(std::move(job));
      return Status::Ok();
    }
    // Small (or a stream): up to pack_below bytes here, into the pack if that
    // was all; if more follows, the rest is cut by the inline chunker.
    small_.resize(pack_below);
    std::size_t len = 0;
    while (len < small_.size()) {
      CAIRN_ASSIGN_OR_RETURN(std::size_t n,
                             stream->Read(MutableByteSpan(small_.data() + len, small_.size() - len)));
      if (n == 0) break;
      len += n;
      if (progress_) progress_->Add(progress_->bytes_done, n);
    }
    std::uint64_t total = len;
    if (len < small_.size()) {
      Status s = AddSmall(index, ByteSpan(small_.data(), len));
      if (!s.ok()) return s.WithContext("read " + e.path);
    } else {
      auto chunked = inline_chunker_.Run(*stream, ByteSpan(small_.data(), len));
      if (!chunked.ok()) return chunked.error().WithContext("read " + e.path);
      total = chunked->total;
      AdoptChunks(index, std::move(*chunked));
    }
    Status changed = stream->Finish(entries_[index]);
    return FinishRead(index, total, changed, figures);
  }

  // Records a read file's chunk slices, to be resolved to ids after the pool.
  void AdoptChunks(std::size_t index, ChunkedContent chunked) {
    TreeEntry& e = entries_[index];
    e.content = std::move(chunked.slices);
    for (std::size_t i = 0; i < chunked.slots.size(); ++i) pending_.push_back({index, i, chunked.slots[i]});
  }

  // After a file was read: the figures, and what a change during the read
  // means for the entry (what was read is recorded, coherently).
  Status FinishRead(std::size_t index, std::uint64_t total, const Status& changed,
                    BackupFigures& figures) {
    figures.bytes_read += total;
    TreeEntry& entry = entries_[index];
    if (!changed.ok()) warnings_.push_back(changed.message());
    std::uint64_t expected = entry.ContentLength();
    if (total != expected) {
      warnings_.push_back(entry.path + ": changed while it was read (" + std::to_string(expected) +
                          " bytes expected, " + std::to_string(total) + " read)");
      if (entry.sparse.empty()) {
        entry.size = total;
      } else {
        TrimRegions(entry.sparse, total);
        if (entry.ContentLength() != total) entry.sparse.clear(), entry.size = total;
      }
    }
    return Status::Ok();
  }

  // A large file handed to a chunker thread, and what came of it.
  struct FileJob {
    std::size_t entry = 0;
    std::unique_ptr<ContentStream> stream;
    TreeEntry meta;  // a copy for the stream's Finish (the walk goes on)
    Result<ChunkedContent> result = Status::Cancelled("not run");
    Status changed;
  };

  void ChunkerLoop() {
    LargeFileChunker chunker(chunker_, pool_, progress_);
    while (auto job = job_queue_.Pop()) {
      FileJob& j = **job;
      j.result = chunker.Run(*j.stream, ByteSpan());
      if (j.result.ok()) j.changed = j.stream->Finish(j.meta);
      j.stream.reset();  // close the file now, not at the end of the backup
    }
  }

 public:
  // Waits for the chunker threads and takes in their results, in walk order;
  // the first failure wins. Called once the walk is over.
  Status JoinChunkers(BackupFigures& figures) {
    job_queue_.Close();
    for (auto& t : chunker_threads_storage_) t.join();
    chunker_threads_storage_.clear();
    for (auto& job : jobs_) {
      if (!job->result.ok()) {
        return job->result.error().WithContext("read " + entries_[job->entry].path);
      }
      AdoptChunks(job->entry, std::move(*job->result));
      entries_[job->entry].sparse = job->meta.sparse;
      CAIRN_RETURN_IF_ERROR(FinishRead(job->entry, entries_[job->entry].SlicesLength(),
                                       job->changed, figures));
    }
    jobs_.clear();
    return Status::Ok();
  }

 private:
  // Small files share chunks ("packs"); identical small files in one backup
  // are stored once.
  Status AddSmall(std::size_t index, ByteSpan data) {
    if (data.empty()) return Status::Ok();
    ChunkId digest = small_hasher_.Hash(data);
    auto [it, inserted] = small_seen_.emplace(digest, index);
    if (!inserted) {
      copies_.emplace_back(index, it->second);
      return Status::Ok();
    }
    std::uint32_t offset = static_cast<std::uint32_t>(pack_.size());
    pack_.insert(pack_.end(), data.begin(), data.end());
    entries_[index].content.push_back(
        ChunkSlice{ChunkId{}, offset, static_cast<std::uint32_t>(data.size())});
    pack_members_.push_back(index);
    if (pack_.size() >= dedup_.chunker.avg_size) return FlushPack();
    return Status::Ok();
  }

  Status FlushPack() {
    if (pack_.empty()) return Status::Ok();
    CAIRN_ASSIGN_OR_RETURN(std::size_t slot, pool_.Submit(std::move(pack_)));
    for (std::size_t member : pack_members_) pending_.push_back({member, 0, slot});
    pack_ = Bytes();
    pack_members_.clear();
    return Status::Ok();
  }

  const DedupParams& dedup_;
  EntrySource& source_;
  ChunkWriterPool& pool_;
  JobProgress* progress_;
  Chunker chunker_;
  ChunkHasher small_hasher_;
  LargeFileChunker inline_chunker_;  // for streams, whose members are read in order
  Bytes small_;                      // a small file's content, on its way into the pack
  bool chunker_threads_ = false;
  BoundedQueue<std::shared_ptr<FileJob>> job_queue_;
  std::vector<std::shared_ptr<FileJob>> jobs_;  // in walk order
  std::vector<std::thread> chunker_threads_storage_;
  std::unordered_map<std::string, const TreeEntry*> files_cache_;
  std::vector<TreeEntry> entries_;
  std::vector<PendingSlice> pending_;
  Bytes pack_;
  std::vector<std::size_t> pack_members_;
  std::unordered_map<ChunkId, std::size_t, ChunkIdHash> small_seen_;
  std::vector<std::pair<std::size_t, std::size_t>> copies_;  // (copy, original)
  std::vector<std::string> warnings_;
};

}  // namespace

namespace {

// Removes from the parent's entries (used only as the files cache) the files
// whose chunks are not all stored any more -- not in `index` when it is
// complete, or in `absent`. Reusing their chunk lists would commit a
// snapshot naming chunks nobody sends; read again, they are stored again.
std::size_t DropStaleCacheEntries(Manifest& parent, ChunkIndex& index, bool index_complete,
                                  const std::vector<ChunkId>& absent) {
  if (!index_complete && absent.empty()) return 0;
  const std::unordered_set<ChunkId, ChunkIdHash> gone(absent.begin(), absent.end());
  return std::erase_if(parent.entries, [&](const TreeEntry& e) {
    if (e.type != EntryType::kFile) return false;
    for (const auto& slice : e.content) {
      if (gone.contains(slice.id) || (index_complete && !index.Contains(slice.id))) return true;
    }
    return false;
  });
}

}  // namespace

Result<std::string> NewSnapshotId() {
  std::uint8_t raw[8];
  CAIRN_RETURN_IF_ERROR(FillRandom(raw));
  return ToHex(raw);
}

Result<BackupResult> RunBackup(BackupTarget& target, EntrySource& source,
                               const BackupRequest& request, Clock& clock) {
  CAIRN_RETURN_IF_ERROR(ValidateSnapshotName(request.name));
  const std::int64_t started = clock.MonotonicNanos();
  BackupResult result;
  CAIRN_ASSIGN_OR_RETURN(result.snapshot_id, NewSnapshotId());

  // The files cache is the previous snapshot of the same name.
  std::optional<Manifest> parent;
  if (request.use_files_cache && source.supports_files_cache()) {
    auto found = target.FindParent(request.name);
    if (!found.ok()) {
      result.warnings.push_back("files cache unavailable (" + found.error().ToString() +
                                "): every file is read again");
    } else if (*found) {
      result.parent_id = (*found)->id;
      parent = std::move((*found)->manifest);
    }
  }

  CAIRN_ASSIGN_OR_RETURN(std::vector<ChunkId> known, target.KnownChunkIds());
  ChunkIndex index(known);
  known = {};
  if (parent) {
    const std::size_t dropped = DropStaleCacheEntries(*parent, index, target.KnownChunkIdsComplete(),
                                                      request.absent_chunks);
    if (dropped > 0) {
      result.warnings.push_back(std::to_string(dropped) +
                                " unchanged file(s) read again: chunks of theirs are no longer in "
                                "the store (garbage-collected or quarantined by verify)");
    }
  }
  int threads = request.threads > 0 ? request.threads
                                    : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  std::vector<std::unique_ptr<ChunkSink>> sinks;
  for (int i = 0; i < threads; ++i) {
    CAIRN_ASSIGN_OR_RETURN(auto sink, target.NewChunkSink());
    sinks.push_back(std::move(sink));
  }
  const DedupParams& dedup = target.dedup();
  ChunkWriterPool pool(dedup.id_key, std::move(sinks), index, request.progress);
  BackupWalker walker(dedup, source, pool, request.progress, parent ? &*parent : nullptr);

  Manifest manifest;
  Status walked = walker.Walk(manifest.figures);
  Status joined = walker.JoinChunkers(manifest.figures);  // before the pool: they feed it
  Status finished = pool.Finish();
  if (!walked.ok()) return walked;
  if (!joined.ok()) return joined;
  if (!finished.ok()) return finished;
  parent.reset();  // the files cache is no longer needed; free it before the manifest

  manifest.snapshot_id = result.snapshot_id;
  manifest.name = request.name;
  manifest.created_unix_ns = clock.NowUnixNanos();
  manifest.hostname = LocalHostName();
  manifest.source = source.description();
  manifest.tags = request.tags;
  manifest.parent_id = result.parent_id;
  manifest.entries = walker.TakeEntries();

  std::unordered_set<ChunkId, ChunkIdHash> referenced;
  for (const TreeEntry& e : manifest.entries) {
    for (const ChunkSlice& s : e.content) referenced.insert(s.id);
  }
  BackupFigures& f = manifest.figures;
  for (const NewChunk& c : pool.new_chunks()) {
    f.bytes_new += c.plain_size;
    f.bytes_stored += c.stored_size;
    ++f.chunks_new;
  }
  f.chunks_referenced = referenced.size();
  f.duration_ns = clock.MonotonicNanos() - started;

  std::vector<ChunkId> referenced_list(referenced.begin(), referenced.end());
  CAIRN_ASSIGN_OR_RETURN(result.manifest_bytes,
                         target.Commit(manifest, pool.new_chunks(), referenced_list));
  result.snapshot_id = manifest.snapshot_id;
  result.figures = f;
  for (auto& w : source.TakeWarnings()) result.warnings.push_back(std::move(w));
  for (auto& w : walker.TakeWarnings()) result.warnings.push_back(std::move(w));
  return result;
}

Result<BackupResult> RunBackup(Store& store, EntrySource& source, const BackupRequest& request,
                               Clock& clock) {
  LocalBackupTarget target(store);
  target.TEST_fail_before_manifest = request.TEST_fail_before_manifest;
  return RunBackup(target, source, request, clock);
}

}  // namespace cairn
